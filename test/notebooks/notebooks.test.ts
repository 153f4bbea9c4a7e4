// Every notebook executes headlessly in smoke mode (CELLAB_PROFILE=smoke) with Debian's
// Jupyter and this project's tslab kernel; a failing cell fails the test.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { installKernel } from '../../src/cli/kernel';

const root = path.resolve(__dirname, '..', '..');
const notebooksDir = path.join(root, 'notebooks');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-nb-'));
const kernelName = 'tslab-cellab-test';

type Cell = { cell_type: string; source: string[]; outputs?: { output_type: string; name?: string; text?: string[] | string; data?: Record<string, unknown> }[] };

before(() => {
  const dist = path.join(root, 'dist', 'index.js');
  assert.ok(fs.existsSync(dist), 'dist/ is missing: notebooks import the compiled module; run `npm run build` (npm test does)');
  installKernel({ prefix: work, name: kernelName, displayName: 'TypeScript (cellab test)' });
});

function execute(name: string, env: Record<string, string | undefined>): Cell[] {
  const outDir = path.join(work, 'out');
  const fullEnv: NodeJS.ProcessEnv = { ...process.env, JUPYTER_PATH: path.join(work, 'share', 'jupyter'), CELLAB_PROFILE: 'smoke', ...env };
  for (const [k, v] of Object.entries(fullEnv)) if (v === undefined) delete fullEnv[k];
  const r = spawnSync('/usr/bin/python3', [path.join(__dirname, 'execute_notebook.py'), path.join(notebooksDir, name), outDir, kernelName, '1200'], {
    cwd: notebooksDir,
    env: fullEnv,
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, `${name} failed to execute:\n${r.stderr}`);
  return JSON.parse(fs.readFileSync(path.join(outDir, name), 'utf8')).cells as Cell[];
}

function countRuns(store: string): number {
  if (!fs.existsSync(store)) return 0;
  let n = 0;
  for (const exp of fs.readdirSync(store).filter((e) => /^\d+$/.test(e))) {
    n += fs.readdirSync(path.join(store, exp)).filter((r) => /^[0-9a-f]{32}$/.test(r)).length;
  }
  return n;
}

const notebooks = fs.readdirSync(notebooksDir).filter((f) => f.endsWith('.ipynb')).sort();

test('there is a quickstart notebook and one per study', () => {
  assert.ok(notebooks.includes('quickstart.ipynb'), `notebooks: ${notebooks.join(', ')}`);
});

for (const name of notebooks) {
  test(`${name} executes in smoke mode and shows its plots inline`, { timeout: 1_500_000 }, () => {
    // The quickstart uses the default store (the project root's tracking/mlruns), the rest a scratch one.
    const defaultStore = name === 'quickstart.ipynb';
    const store = defaultStore ? path.join(root, 'tracking', 'mlruns') : path.join(work, `store-${name}`);
    const runsBefore = countRuns(store);
    const cells = execute(name, { MLFLOW_TRACKING_URI: defaultStore ? undefined : store, MLFLOW_EXPERIMENT_NAME: undefined });
    const outputs = cells.flatMap((c) => c.outputs ?? []);
    const mimes = new Set(outputs.flatMap((o) => Object.keys(o.data ?? {})));
    assert.ok(mimes.has('application/vnd.vegalite.v5+json'), `no Vega-Lite plot displayed (outputs: ${[...mimes].join(', ')})`);
    assert.ok(mimes.has('image/png'), 'plots carry a PNG for static exports');
    assert.ok(mimes.has('text/html'), 'tables and links are shown as HTML');
    assert.ok(countRuns(store) > runsBefore, `no new run in ${store}`);
    const streams = outputs.filter((o) => o.output_type === 'stream').map((o) => (Array.isArray(o.text) ? o.text.join('') : o.text ?? ''));
    assert.ok(!streams.some((t) => t.includes("'$schema'") || t.includes('<table')), 'a cell printed a raw plot spec or HTML instead of showing it');
    assert.ok(!streams.some((t) => /failed:|Error:/.test(t)), `a trial failed or a cell errored:\n${streams.filter((t) => /failed:|Error:/.test(t)).join('\n')}`);
    assert.ok(!fs.existsSync(path.join(notebooksDir, 'tracking')), 'a notebook created a second store under notebooks/');
    if (defaultStore) checkHtmlExport(name, outputs.filter((o) => o.data?.['application/vnd.vegalite.v5+json']).length);
    if (name === 'quickstart.ipynb') checkQuickstartPictures(outputs);
  });
}

/** The quickstart shows what issue 19 asks of it, as pictures (PNG), not tables or JSON only. */
function checkQuickstartPictures(outputs: { data?: Record<string, unknown> }[]): void {
  const pictures = outputs.filter((o) => o.data?.['image/png']).map((o) => String(o.data?.['text/plain'] ?? ''));
  for (const [what, re] of [['a class gallery with masks', /random cell\(s\) per class/], ['the dropped anomalies as thumbnails', /Anomaly filter: \d+ dropped/],
    ['an LR-finder plot', /learning-rate range test/], ['the top losses', /Top \d+ losses/], ['Grad-CAM', /Grad-CAM/]] as const) {
    assert.ok(pictures.some((t) => re.test(t)), `the quickstart shows ${what} as a picture (pictures: ${pictures.join(' | ')})`);
  }
}

test('notebooks as committed stay small enough for GitHub to show (<= 2 MB each, outputs included)', () => {
  for (const name of notebooks) {
    const bytes = fs.statSync(path.join(notebooksDir, name)).size;
    assert.ok(bytes <= 2 * 1024 * 1024, `${name} is ${(bytes / 1e6).toFixed(2)} MB: regenerate it with npm run notebooks (which checks the limit)`);
  }
});

/** `jupyter nbconvert --to html` of the executed notebook shows every plot as a picture. */
function checkHtmlExport(name: string, plots: number): void {
  const executed = path.join(work, 'out', name);
  const r = spawnSync('/usr/bin/python3', ['-m', 'nbconvert', '--to', 'html', '--output-dir', path.join(work, 'html'), executed], { encoding: 'utf8' });
  assert.equal(r.status, 0, `nbconvert --to html failed: ${r.stderr.slice(-1500)}`);
  const html = fs.readFileSync(path.join(work, 'html', name.replace(/\.ipynb$/, '.html')), 'utf8');
  const images = html.match(/<img src="data:image\/png;base64,/g)?.length ?? 0;
  assert.ok(plots > 0 && images >= plots, `${plots} plot(s) in the notebook, ${images} PNG picture(s) in its HTML export`);
}
