// The synthetic lymphocytosis patients: the DLMI layout, deterministic per
// seed, the study's shape (5-50 cells per patient, ~31% reactive), and
// clinical data that help without deciding every patient.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { generateLymphocytosis, planPatients, MALIGNANT_SHARE } from '../../src/data/synth/index';
import { Random } from '../../src/engine/random';
import { loadDataset } from '../../src/data/load';
import { config, hashTree } from './helpers';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-lymph-synth-'));
after(() => fs.rmSync(TMP, { recursive: true, force: true }));


/** Best balanced accuracy of any threshold on one number (either direction). */
function bestThresholdBa(values: number[], labels: number[]): number {
  let best = 0;
  for (const t of values) {
    for (const dir of [1, -1]) {
      const hit = [0, 0], n = [0, 0];
      values.forEach((v, i) => { n[labels[i]]++; if ((dir * v >= dir * t ? 1 : 0) === labels[i]) hit[labels[i]]++; });
      best = Math.max(best, (hit[0] / n[0] + hit[1] / n[1]) / 2);
    }
  }
  return best;
}

test('the DLMI layout: clinical_annotation.csv, trainset/<ID>/*.jpg, testset/ for LABEL -1, a README; the dlmi loader reads it', async () => {
  const out = path.join(TMP, 'a');
  const s = await generateLymphocytosis({ out, n: 24, testPatients: 3, seed: 5 });
  assert.equal(s.n, 24);
  const csv = fs.readFileSync(path.join(out, 'clinical_annotation.csv'), 'utf8').trim().split('\n');
  assert.equal(csv[0], 'ID,LABEL,GENDER,DOB,LYMPH_COUNT');
  assert.equal(csv.length, 1 + 24 + 3);
  const rows = csv.slice(1).map((l) => l.split(','));
  assert.equal(rows.filter((r) => r[1] === '-1').length, 3);
  for (const r of rows) {
    assert.match(r[3], /^\d{1,2}\/\d{1,2}\/\d{4}$/, 'DOB is M/D/YYYY');
    assert.ok(['M', 'F', 'f'].includes(r[2]));
    const dir = path.join(out, r[1] === '-1' ? 'testset' : 'trainset', r[0]);
    const files = fs.readdirSync(dir);
    assert.ok(files.length >= 5 && files.length <= 50, `${r[0]}: ${files.length} images`);
    assert.ok(files.every((f) => /^\d{6}\.jpg$/.test(f)));
  }
  const meta = await sharp(path.join(out, 'trainset', rows.find((r) => r[1] !== '-1')![0], '000001.jpg')).metadata();
  assert.deepEqual([meta.format, meta.width, meta.height, meta.channels], ['jpeg', 64, 64, 3]);
  assert.match(fs.readFileSync(path.join(out, 'README.md'), 'utf8'), /cellab synth --out DIR --kind lymphocytosis --n 24 --seed 5/);
  const ds = loadDataset(config({ format: 'dlmi', root: out }));
  assert.equal(ds.unlabelled, 3);
  assert.deepEqual(ds.classes, ['malignant', 'reactive']);
  assert.equal(new Set(ds.items.map((i) => i.group)).size, 24);
  assert.equal(ds.items.length, s.images - rows.filter((r) => r[1] === '-1').reduce((n, r) => n + fs.readdirSync(path.join(out, 'testset', r[0])).length, 0));
});

test('the same seed gives byte-identical files; another seed another set', async () => {
  const [a, b, c] = ['s1', 's2', 's3'].map((d) => path.join(TMP, d));
  await generateLymphocytosis({ out: a, n: 12, testPatients: 1, seed: 9 });
  await generateLymphocytosis({ out: b, n: 12, testPatients: 1, seed: 9 });
  await generateLymphocytosis({ out: c, n: 12, testPatients: 1, seed: 10 });
  assert.deepEqual(hashTree(a), hashTree(b));
  assert.notDeepEqual(hashTree(a), hashTree(c));
});

test('the study\'s shape: ~31% reactive (50 of 163), 5-50 cells per patient', () => {
  const ps = planPatients(163, 0, new Random(1));
  assert.equal(ps.filter((p) => p.label === 1).length, Math.round(163 * MALIGNANT_SHARE));
  assert.equal(ps.filter((p) => p.label === 0).length, 50);
  assert.ok(ps.every((p) => p.cells >= 5 && p.cells <= 50));
  assert.ok(Math.min(...ps.map((p) => p.cells)) <= 8 && Math.max(...ps.map((p) => p.cells)) >= 47, 'bag sizes spread over 5-50');
});

test('clinical data are informative but not sufficient, and so are the cells', () => {
  const ps = planPatients(600, 0, new Random(2));
  const labels = ps.map((p) => p.label as number);
  const count = bestThresholdBa(ps.map((p) => Math.log(p.count)), labels);
  const age = bestThresholdBa(ps.map((p) => p.age), labels);
  const cells = bestThresholdBa(ps.map((p) => p.atypicalFraction), labels);
  for (const [what, ba] of [['count', count], ['age', age], ['atypical share', cells]] as const) {
    assert.ok(ba > 0.6 && ba < 0.9, `${what} alone: balanced accuracy ${ba.toFixed(3)}`);
  }
  // Together they decide: a patient is malignant when the count is high or the cells are atypical.
  const both = ps.map((p) => (Math.log(p.count) > Math.log(14) || p.atypicalFraction > 0.3 ? 1 : 0));
  const hit = [0, 0], n = [0, 0];
  both.forEach((b, i) => { n[labels[i]]++; if (b === labels[i]) hit[labels[i]]++; });
  assert.ok((hit[0] / n[0] + hit[1] / n[1]) / 2 > 0.9);
});
