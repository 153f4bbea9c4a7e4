import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { dumpPyYaml, parsePyYaml } from '../../src/tracking/pyyaml';

const STORE = path.join(__dirname, 'fixtures', 'mlflow', 'filestore-2.22.4', 'mlruns');
function metaFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? metaFiles(path.join(dir, e.name)) : e.name === 'meta.yaml' ? [path.join(dir, e.name)] : []);
}

test('every meta.yaml MLflow wrote reads back and is re-written byte for byte', () => {
  const files = metaFiles(STORE);
  assert.equal(files.length, 7);
  for (const f of files) {
    const text = fs.readFileSync(f, 'utf8');
    assert.equal(dumpPyYaml(parsePyYaml(text, f) as never), text, f);
  }
});

test('strings that YAML 1.1 would read as something else are quoted, as PyYAML does', () => {
  const out = dumpPyYaml({ id: '416212379863395456', empty: '', yes: 'yes', nul: 'null', date: '2024-01-01', num: 3, none: null, plain: 'hep2-synthetic', colon: 'a: b', hash: 'x #y', quote: "it's" });
  assert.equal(out, [
    "colon: 'a: b'", "date: '2024-01-01'", "empty: ''", "hash: 'x #y'", "id: '416212379863395456'", 'none: null',
    "nul: 'null'", 'num: 3', 'plain: hep2-synthetic', "quote: it's", "'yes': 'yes'", '',
  ].join('\n'));
  // and each reads back as the same value
  assert.deepEqual(parsePyYaml(out, 'x'), { colon: 'a: b', date: '2024-01-01', empty: '', hash: 'x #y', id: '416212379863395456', none: null, nul: 'null', num: 3, plain: 'hep2-synthetic', quote: "it's", yes: 'yes' });
});

test('the same text as PyYAML safe_dump for awkward values (long, quoted, unicode, number-like)', () => {
  const words = ['alpha', "it's", 'x: y', '#tag', 'résumé', '0.5', '1e5', 'true', '~', '- dash', '{"uri": "data/hep2"}', '[1, 2]', '@at', 'a  b', '12:30'];
  const docs: Record<string, unknown>[] = [];
  for (let d = 0; d < 20; d++) {
    const doc: Record<string, unknown> = { n: d, none: null, nested: { 'mlflow.data.context': words[d % words.length] }, empty: {} };
    for (let k = 0; k < 6; k++) {
      const len = 1 + ((d * 7 + k * 13) % 40);
      doc[`k${k}`] = Array.from({ length: len }, (_, i) => words[(d + k + i * 3) % words.length]).join(' ');
    }
    docs.push(doc);
  }
  const script = 'import sys, json, yaml\nfor d in json.loads(sys.stdin.read()):\n    sys.stdout.write(yaml.safe_dump(d, default_flow_style=False, allow_unicode=True) + "\\0")';
  const py = execFileSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(docs) }).toString('utf8').split('\0').slice(0, -1);
  assert.equal(py.length, docs.length);
  docs.forEach((d, i) => {
    const ours = dumpPyYaml(d as never);
    assert.equal(ours, py[i]);
    assert.deepEqual(parsePyYaml(ours, 'x'), d);
  });
});
