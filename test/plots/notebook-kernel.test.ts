// End to end in a real tslab kernel (Debian's python3-nbclient drives it): a plot shows as
// one MIME bundle and a display handle overwrites its output. Notebooks import the compiled
// module (DESIGN.md), so this test uses dist/: `npm test` builds it first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const dist = path.join(root, 'dist', 'plots', 'index.js');

const RUN = `
import json, sys, nbformat
from nbclient import NotebookClient
cells = json.load(sys.stdin)
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
NotebookClient(nb, kernel_name="tslab", timeout=120).execute()
json.dump([c.outputs for c in nb.cells], sys.stdout)
`;

test('in a running tslab kernel: show() sends one bundle, a handle updates in place', () => {
  assert.ok(existsSync(dist), `${dist} is missing: run npm run build first`);
  const newest = Math.max(...readdirSync(path.join(root, 'src', 'plots')).map((f) => statSync(path.join(root, 'src', 'plots', f)).mtimeMs));
  assert.ok(statSync(dist).mtimeMs >= newest - 1000, 'dist/plots is older than src/plots: run npm run build first');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cellab-kernel-'));
  try {
    // A private kernelspec: no `tslab install` needed, nothing written to the user's Jupyter dirs.
    mkdirSync(path.join(dir, 'kernels', 'tslab'), { recursive: true });
    writeFileSync(path.join(dir, 'kernels', 'tslab', 'kernel.json'), JSON.stringify({
      argv: [path.join(root, 'node_modules', '.bin', 'tslab'), 'kernel', '--config-path', '{connection_file}'], display_name: 'TypeScript', language: 'typescript',
    }));
    const cells = [
      `import * as pl from ${JSON.stringify(dist.replace(/\.js$/, ''))};\nconsole.log(pl.inNotebook());`,
      `await pl.show(pl.confusionMatrixSpec({ matrix: [[5, 1], [2, 7]], classNames: ['negative', 'positive'] }));`,
      `const h = pl.newDisplayHandle();\nfor (let i = 1; i <= 3; i++) h.update({ 'text/plain': 'epoch ' + i + '/3' });`,
    ];
    const r = spawnSync('/usr/bin/python3', ['-c', RUN], { input: JSON.stringify(cells), encoding: 'utf8', cwd: dir, env: { ...process.env, JUPYTER_PATH: dir }, timeout: 180000 });
    assert.equal(r.status, 0, `notebook run failed (needs python3-nbclient): ${r.stderr.slice(-1500)}`);
    const [first, plot, progress] = JSON.parse(r.stdout);
    assert.equal(first[0].text, 'true\n');
    assert.equal(plot.length, 1, 'one output for one plot');
    assert.equal(plot[0].output_type, 'display_data');
    assert.deepEqual(Object.keys(plot[0].data).sort(), ['application/vnd.vegalite.v5+json', 'image/png', 'text/plain']);
    assert.equal(plot[0].data['application/vnd.vegalite.v5+json'].encoding.y.title, 'True class');
    assert.equal(Buffer.from(plot[0].data['image/png'], 'base64').subarray(1, 4).toString('latin1'), 'PNG');
    assert.ok(plot[0].metadata['image/png'].width > 100, 'the PNG carries the size to show it at');
    // Three updates, one output holding the last one.
    assert.equal(progress.length, 1);
    assert.equal(progress[0].data['text/plain'], 'epoch 3/3');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
