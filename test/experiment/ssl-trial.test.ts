// Self-supervised runs end to end on a local store: a BYOL run logs its
// per-epoch loss and spread, k-NN / linear-probe accuracy, the embeddings of
// every image (np.load reads them; rows follow index.csv and equal the logged
// checkpoint's embeddings), and a checkpoint that `model.pretrained:
// runs:/<id>` starts a supervised run from; a collapsed run is a FAILED run
// tagged `collapsed`, counted with the diverged trials of a sweep.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { initEngine } from '../../src/engine/backend';
import { resolveConfig } from '../../src/experiment/config';
import { runExperiment } from '../../src/experiment/run';
import { runSweep } from '../../src/experiment/sweep';
import { loadTrialData } from '../../src/experiment/trial';
import { openTracking } from '../../src/tracking/index';
import { TrialView } from '../../src/experiment/experiment';
import { loadCheckpoint } from '../../src/models/checkpoint';
import { extractFeatures } from '../../src/train/index';
import { decodeNpy } from '../../src/eval/npy';
import { encodeGreyPng } from '../../src/data/synth/png';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-ssl-trial-'));
const store = path.join(work, 'mlruns');
const quiet = () => undefined;

const patterns = (over: Record<string, unknown> = {}) => ({
  name: 'ssl-e2e',
  dataset: { format: 'icpr2012', root: path.join(work, 'data'), synthetic: { kind: 'patterns', n: 72, seed: 3 }, image: { size: 16, mask: true },
    split: { kind: 'predefined', valFraction: 0.2 }, cache: { dir: path.join(work, 'cache') } },
  model: { backbone: 'small-cnn', width: 0.5 },
  train: { method: 'byol', epochs: 2, batchSize: 16, lr: 0.003, optimizer: 'adamw', ssl: { projectionDim: 16, projectionHiddenDim: 32, evalEvery: 1, knn: 5 }, linear: { C: [0.1, 1] } },
  eval: { embeddings: { pairs: 100, topK: 3 } },
  tracking: { experiment: 'ssl-e2e' },
  ...over,
});

before(async () => { await initEngine({ backend: 'wasm', log: null }); });

async function history(runId: string, key: string): Promise<number[]> {
  const t = await openTracking({ uri: store, log: quiet });
  try {
    return (await t.getMetricHistory(runId, key)).sort((a, b) => a.step - b.step).map((p) => p.step);
  } finally {
    await t.close();
  }
}

let byolRun = '';

test('a BYOL run logs loss, spread, k-NN and linear-probe accuracy, the checkpoint and every image\'s embeddings', { timeout: 120_000 }, async () => {
  const resolved = resolveConfig(patterns(), { baseDir: work });
  const { summary } = await runExperiment(resolved, { trackingUri: store, progress: 'off', log: quiet });
  assert.equal(summary.outcome, 'completed', summary.reason);
  assert.equal(summary.status, 'FINISHED');
  byolRun = summary.run_id;
  assert.ok(summary.metrics.accuracy >= 0 && summary.metrics.accuracy <= 1, 'the linear probe is the run\'s classifier');
  assert.deepEqual(await history(byolRun, 'train/ssl_loss'), [1, 2]);
  assert.deepEqual(await history(byolRun, 'train/embedding_std'), [1, 2]);
  assert.deepEqual(await history(byolRun, 'train/ema_tau'), [1, 2]);
  assert.deepEqual(await history(byolRun, 'val/knn_accuracy'), [1, 2]);
  assert.deepEqual(await history(byolRun, 'val/linear_probe_accuracy'), [1, 2]);
  assert.deepEqual(await history(byolRun, 'test/linear_probe_accuracy'), [2]);
  const t = await openTracking({ uri: store, log: quiet });
  try {
    const run = await t.getRun(byolRun);
    assert.equal(run.tags['cellab.outcome'], 'completed');
    assert.equal(run.params['train.method'], 'byol');
    for (const k of ['test/knn_accuracy', 'test/linear_probe_accuracy', 'test/similarity_threshold', 'test/pair_accuracy', 'val/best_accuracy']) {
      assert.ok(Number.isFinite(run.metrics[k]), `${k} not logged`);
    }
    assert.equal(run.metrics['test/linear_probe_accuracy'], run.metrics['test/accuracy'], 'predictions.csv comes from the linear probe');
    const listing = (await t.listArtifacts(byolRun)).map((a) => a.path);
    for (const a of ['checkpoint', 'embeddings', 'predictions.csv', 'plots']) assert.ok(listing.includes(a), `${a} missing: ${listing.join(', ')}`);
    const plots = (await t.listArtifacts(byolRun, 'plots')).map((a) => path.basename(a.path));
    for (const p of ['pca.vl.json', 'similarity_threshold.vl.json', 'similarity_threshold.svg', 'training_curves.svg']) assert.ok(plots.includes(p), `plots/${p} missing: ${plots.join(', ')}`);

    // The embeddings: np.load reads them; one row per image of index.csv.
    const npyFile = path.join(work, 'embeddings.npy');
    fs.writeFileSync(npyFile, await t.downloadArtifact(byolRun, 'embeddings/embeddings.npy'));
    const index = (await t.downloadArtifact(byolRun, 'embeddings/index.csv')).toString('utf8').trim().split('\n');
    assert.equal(index[0], 'id,path,label,split');
    const rows = index.slice(1).map((l) => l.split(','));
    const py = spawnSync('/usr/bin/python3', ['-c', `import numpy as np, json; a = np.load(${JSON.stringify(npyFile)}); print(json.dumps([a.dtype.str, list(a.shape), bool(np.isfinite(a).all())]))`], { encoding: 'utf8' });
    assert.equal(py.status, 0, py.stderr);
    const [dtype, shape, finite] = JSON.parse(py.stdout);
    assert.equal(dtype, '<f4');
    assert.equal(shape[0], rows.length);
    assert.ok(finite);
    assert.deepEqual([...new Set(rows.map((r) => r[3]))].sort(), ['test', 'train', 'val']);
    assert.ok(rows.every((r) => fs.existsSync(r[1])), 'index paths are the image files');

    // The checkpoint is the trained backbone: its embeddings of the test images are the logged rows.
    const dir = path.join(work, 'ckpt');
    fs.mkdirSync(dir);
    for (const a of await t.listArtifacts(byolRun, 'checkpoint')) fs.writeFileSync(path.join(dir, path.basename(a.path)), await t.downloadArtifact(byolRun, a.path));
    const { model, meta } = await loadCheckpoint(dir);
    assert.equal(meta.method, 'byol');
    const data = await loadTrialData(resolved.config, { progress: 'off', log: quiet });
    const f = await extractFeatures(model, data.test, { layer: 'features' });
    const { data: emb } = decodeNpy(fs.readFileSync(npyFile));
    const dim = shape[1];
    let worst = 0;
    f.ids.forEach((id, i) => {
      const r = rows.findIndex((row) => row[0] === id && row[3] === 'test');
      assert.ok(r >= 0, `test image ${id} not in index.csv`);
      for (let j = 0; j < dim; j++) worst = Math.max(worst, Math.abs(emb[r * dim + j] - f.features[i * dim + j]));
    });
    assert.ok(worst < 1e-4, `checkpoint embeddings differ from the logged ones by ${worst}`);
    data.close();
    model.dispose();

    // What the notebook reads back: the same table, neighbours of a few test images.
    const view = new TrialView(store, { trial: 0, label: 'byol', params: {}, outcome: 'completed', runId: byolRun, metrics: {} });
    const table = await view.embeddings();
    assert.equal(table.ids.length, rows.length);
    const found = await view.neighbours({ queries: 3, k: 4 });
    assert.equal(found.length, 3);
    assert.ok(found.every((r) => r.neighbours.length === 4));
    assert.ok(await view.plots.similarityThreshold());
  } finally {
    await t.close();
  }
});

test('model.pretrained: runs:/<id> starts a run from the BYOL backbone (its frozen features + a linear head; another BYOL round)', { timeout: 120_000 }, async () => {
  assert.ok(byolRun, 'needs the BYOL run of the previous test');
  const lines: string[] = [];
  const resolved = resolveConfig(patterns({ model: { backbone: 'small-cnn', width: 0.5, pretrained: `runs:/${byolRun}`, head: 'linear' }, train: { linear: { C: [0.1, 1], cache: false } } }), { baseDir: work });
  const { summary } = await runExperiment(resolved, { trackingUri: store, progress: 'off', log: (l) => lines.push(l) });
  assert.equal(summary.outcome, 'completed', summary.reason);
  const t = await openTracking({ uri: store, log: quiet });
  const run = await t.getRun(summary.run_id);
  await t.close();
  assert.equal(run.tags['cellab.pretrained_run'], byolRun);
  // Every backbone weight came from the checkpoint (same backbone and width).
  const loaded = lines.find((l) => /pretrained weights from .*loaded (\d+)\/(\d+) weights/.test(l));
  assert.ok(loaded, lines.join('\n'));
  const [, n, total] = /loaded (\d+)\/(\d+)/.exec(loaded)!;
  assert.equal(n, total);

  // Self-supervised training can start from pretrained weights too (here: a second BYOL round).
  const again = await runExperiment(resolveConfig(patterns({ model: { backbone: 'small-cnn', width: 0.5, pretrained: `runs:/${byolRun}` } }), { baseDir: work }),
    { trackingUri: store, progress: 'off', log: quiet });
  assert.equal(again.summary.outcome, 'completed', again.summary.reason);
});

/** A folder-per-class set of black 16x16 images: identical under every view. */
function blackImages(): string {
  const root = path.join(work, 'black');
  for (const c of ['a', 'b']) {
    fs.mkdirSync(path.join(root, c), { recursive: true });
    for (let i = 0; i < 12; i++) fs.writeFileSync(path.join(root, c, `${c}${i}.png`), encodeGreyPng(new Uint8Array(256), 16, 16, 'black'));
  }
  return root;
}

test('collapsed embeddings: a FAILED run tagged collapsed, counted with the diverged trials of a sweep', { timeout: 120_000 }, async () => {
  const root = blackImages();
  const cfg = patterns({
    dataset: { format: 'folder', root, image: { size: 16 }, split: { kind: 'stratified', valFraction: 0.25, testFraction: 0.25 }, cache: { enabled: false } },
    tracking: { experiment: 'ssl-collapse' },
  });
  const { summary } = await runExperiment(resolveConfig(cfg, { baseDir: work }), { trackingUri: store, progress: 'off', log: quiet });
  assert.equal(summary.outcome, 'collapsed');
  assert.equal(summary.status, 'FAILED');
  assert.match(summary.reason!, /collapsed/);
  const t = await openTracking({ uri: store, log: quiet });
  const run = await t.getRun(summary.run_id);
  assert.equal(run.tags['cellab.outcome'], 'collapsed');
  assert.ok(!(await t.listArtifacts(summary.run_id)).some((a) => a.path === 'checkpoint'), 'no checkpoint for a collapsed run');
  await t.close();

  const sweep = await runSweep(resolveConfig({ ...cfg, sweep: { 'train.method': ['byol', 'simsiam'] } }, { baseDir: work }), { trackingUri: store, progress: 'off', parallel: 1, log: quiet });
  assert.equal(sweep.summary.trials.diverged, 2);
  assert.equal(sweep.summary.trials.finished, 0);
  assert.equal(sweep.summary.trials.failed, 0);
  assert.deepEqual(sweep.rows.map((r) => r.outcome), ['collapsed', 'collapsed']);
});

test('settings that contradict self-supervised training fail before anything runs, saying what to do', () => {
  assert.throws(() => resolveConfig({ ...patterns(), model: { backbone: 'small-cnn', head: 'linear' } }, { baseDir: work }), /model\.head: linear .*set model\.head: dense/);
  assert.throws(() => resolveConfig({ ...patterns(), train: { method: 'simsiam', ssl: { views: { mixup: { alpha: 0.2 } } } } }, { baseDir: work }), /train\.ssl\.views\.mixup mixes labels/);
  assert.throws(() => resolveConfig({ ...patterns(), train: { method: 'byol', earlyStopping: { monitor: 'val/loss' } } }, { baseDir: work }), /remove train\.earlyStopping/);
  assert.throws(() => resolveConfig({ ...patterns(), train: { method: 'simsiam', microBatch: 8 } }, { baseDir: work }), /train\.microBatch .*supervised only.*remove it/);
  assert.throws(() => resolveConfig({ ...patterns(), train: { method: 'byol', ssl: { views: { solarise: { p: 0.2 } } } } }, { baseDir: work }), /unknown key `train\.ssl\.views\.solarise`\. Did you mean `solarize`/);
  assert.throws(() => resolveConfig({ ...patterns(), train: { method: 'moco' } }, { baseDir: work }), /train\.method.*'supervised' \| 'byol' \| 'simsiam'/);
  // The defaults are in the resolved config (and so in config.yaml and the run's params).
  const ok = resolveConfig({ ...patterns(), train: { method: 'simsiam' } }, { baseDir: work }).config.train;
  assert.equal(ok.ssl.tau, 0.996);
  assert.equal(ok.ssl.views.jitterP, 0.8);
  assert.deepEqual(ok.ssl.views.crop, { scale: [0.2, 1], ratio: [3 / 4, 4 / 3], p: 1 });
});
