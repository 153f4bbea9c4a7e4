// Studies run with CELLAB_BACKEND=webgpu, as a user would start them
// (bin/run-experiment.js, compiled): the quickstart swept over an end-to-end
// head with test-time augmentation and a frozen-features linear head, one
// quickstart run with its error analysis (Grad-CAM included), the lymphocytosis
// bag study (frozen features, the bag loop, three experts), the multi-label
// protein study and the self-supervised histology study (BYOL, k-NN, linear
// probe, embeddings), on tiny synthetic sets. Every run finishes and says which
// device it ran on, in the JSON result and in each run's cellab.device tag (with
// the adapter). Any synchronous read on the way would fail the run
// (engine/reads.ts), or, in the error analysis, skip a gallery with its reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { probeAdapter } from '../../src/engine/webgpu';
import { webgpuSkip } from '../engine/webgpu-adapter';

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'run-experiment.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-webgpu-'));

/** Where a test's synthetic data goes (generated on first use). */
const dataDir = (file: string) => path.join(tmp, path.basename(file, '.yaml'), 'data');

function runOnWebGpu(file: string, sets: string[], name = path.basename(file, '.yaml')) {
  const store = path.join(tmp, name, 'mlruns');
  const args = [bin, file, '--profile', 'smoke', '--json', '--tracking-uri', store,
    '--set', `dataset.root=${dataDir(file)}`, ...sets.flatMap((s) => ['--set', s])];
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', timeout: 240_000, env: { ...process.env, CELLAB_BACKEND: 'webgpu', CELLAB_PROGRESS: '0' } });
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
  const runs = fs.readdirSync(path.join(store, summary.experiment_id), { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== 'datasets')
    .map((d) => path.join(store, summary.experiment_id, d.name));
  const tag = (run: string, key: string) => fs.readFileSync(path.join(run, 'tags', key), 'utf8');
  return { summary, runs, tag, stderr: r.stderr };
}

/** `trials`: a sweep of that many trials; none: a single run. */
function expectWebGpu(r: ReturnType<typeof runOnWebGpu>, trials?: number) {
  const probe = probeAdapter();
  assert.ok(probe.ok, probe.ok ? '' : probe.reason);
  const device = probe.adapter.software ? 'cpu-emulated' : 'gpu';
  assert.equal(r.summary.status, 'FINISHED', JSON.stringify(r.summary));
  assert.equal(r.summary.backend, 'webgpu');
  assert.equal(r.summary.device, device);
  if (trials === undefined) {
    assert.equal(r.summary.outcome, 'completed', JSON.stringify(r.summary));
    assert.equal(r.runs.length, 1, 'one run');
  } else {
    assert.deepEqual({ total: r.summary.trials.total, finished: r.summary.trials.finished }, { total: trials, finished: trials });
    assert.equal(r.runs.length, trials + 1, 'a parent and one run per trial');
  }
  for (const run of r.runs) {
    assert.equal(r.tag(run, 'cellab.backend'), 'webgpu');
    assert.equal(r.tag(run, 'cellab.device'), `${device} (${probe.adapter.description})`);
  }
  assert.match(r.stderr, new RegExp(`^cellab: backend webgpu \\(${device}; WebGPU on Dawn, adapter `, 'm'));
  assert.ok(!/SyncReadError|synchronous read/.test(r.stderr), r.stderr);
}

test('the quickstart on webgpu: end-to-end training with TTA, and frozen features with a linear head', { skip: webgpuSkip(), timeout: 300_000 }, () => {
  const r = runOnWebGpu('experiments/quickstart.yaml', ['dataset.synthetic.n=120', 'dataset.image.size=16', 'model.width=0.5', 'train.epochs=2',
    'train.tta=flips', 'sweep={"model.head": [dense, linear]}']);
  expectWebGpu(r, 2);
  const best = r.runs.find((run) => path.basename(run) === r.summary.best.run_id)!;
  assert.ok(fs.existsSync(path.join(best, 'artifacts', 'predictions.csv')));
  assert.ok(r.summary.best.metrics.average_class_accuracy > 1 / 6, `ACA ${r.summary.best.metrics.average_class_accuracy}: better than chance`);
});

test('the bag study on webgpu: frozen image features, the bag loop, the image, clinical and mixture experts', { skip: webgpuSkip(), timeout: 300_000 }, () => {
  const r = runOnWebGpu('experiments/lymphocytosis-small.yaml', ['dataset.synthetic.n=40', 'dataset.image.size=16', 'train.epochs=3',
    'dataset.split.kind=stratified', 'dataset.split.testFraction=0.25']);
  expectWebGpu(r, 3);
  for (const run of r.runs.filter((x) => path.basename(x) !== r.summary.run_id)) {
    assert.ok(fs.existsSync(path.join(run, 'artifacts', 'mil_head.json')), `${run}: mil_head.json`);
  }
});

test('one quickstart run on webgpu logs its error analysis: galleries and Grad-CAM of its own network', { skip: webgpuSkip(), timeout: 300_000 }, () => {
  const r = runOnWebGpu('experiments/quickstart.yaml', ['dataset.synthetic.n=120', 'dataset.image.size=16', 'model.width=0.5', 'train.epochs=2'], 'quickstart-single');
  expectWebGpu(r);
  const plots = path.join(r.runs[0], 'artifacts', 'plots');
  for (const f of ['top_losses.png', 'most_confused.png', 'gradcam.png']) assert.ok(fs.existsSync(path.join(plots, f)), `${f} logged`);
  assert.ok(!fs.existsSync(path.join(r.runs[0], 'tags', 'cellab.error_analysis_skipped')), 'no gallery skipped');
});

test('the multi-label protein study on webgpu: label sets, per-label thresholds, multi-label metrics', { skip: webgpuSkip(), timeout: 300_000 }, () => {
  const file = 'experiments/protein-localisation.yaml';
  const r = runOnWebGpu(file, [`dataset.manifest=${path.join(dataDir(file), 'train.csv')}`, `dataset.classMap=${path.join(dataDir(file), 'label_names.csv')}`,
    'dataset.synthetic.n=60', 'dataset.image.size=16', 'train.epochs=2', 'train.batchSize=8', 'sweep.model=null', 'sweep.train.lr=null']);
  expectWebGpu(r);
  for (const k of ['micro_f1', 'macro_f1', 'samples_f1']) assert.equal(typeof r.summary.metrics[k], 'number', k);
  assert.ok(fs.existsSync(path.join(r.runs[0], 'artifacts', 'thresholds.json')));
  assert.ok(fs.existsSync(path.join(r.runs[0], 'metrics', 'val', 'micro_f1')), 'val/micro_f1 per epoch');
});

test('the self-supervised histology study on webgpu: BYOL, k-NN and linear probe, embeddings, similarity threshold', { skip: webgpuSkip(), timeout: 300_000 }, () => {
  const r = runOnWebGpu('experiments/histology-query.yaml', ['dataset.synthetic.n=120', 'dataset.split.valFraction=0.3', 'dataset.image.size=16', 'model.width=0.5', 'train.epochs=1',
    'train.batchSize=16', 'train.ssl.projectionDim=16', 'train.ssl.projectionHiddenDim=32', 'eval.embeddings.pairs=100']);
  expectWebGpu(r);
  const metrics = path.join(r.runs[0], 'metrics');
  for (const k of ['train/ssl_loss', 'val/knn_accuracy', 'test/linear_probe_accuracy']) assert.ok(fs.existsSync(path.join(metrics, k)), `${k} logged`);
  for (const f of ['embeddings/embeddings.npy', 'embeddings/index.csv', 'plots/pca.svg']) assert.ok(fs.existsSync(path.join(r.runs[0], 'artifacts', f)), `${f} logged`);
});
