// A multi-label experiment end to end on a tiny synthetic protein set (4 stains,
// label sets): thresholds chosen on validation are logged and applied to test,
// predictions.csv is the multi-label variant `cellab evaluate` reads back to the
// same numbers; a ReLU head degenerates (diverged, still evaluated); the dense
// head is the first-label reduction; cells from the segmentation aggregate back
// to images; mismatched settings fail before a run exists.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveConfig, type ResolvedExperiment } from '../../src/experiment/config';
import { runExperiment } from '../../src/experiment/run';
import { generateProteinSynthetic } from '../../src/data/synth/index';
import { evaluateFile } from '../../src/cli/evaluate';
import { ConfigError } from '../../src/engine/schema';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-ml-'));
const data = path.join(work, 'protein');
const store = path.join(work, 'store');

before(async () => { await generateProteinSynthetic({ out: data, n: 60, seed: 2, size: 64 }); });

function experiment(over: Record<string, unknown> = {}): ResolvedExperiment {
  return resolveConfig({
    name: 'ml-test',
    dataset: {
      format: 'csv', root: data, manifest: path.join(data, 'train.csv'), columns: { id: 'ID', label: 'Label', group: 'Plate' },
      multiLabel: 'multi', classMap: path.join(data, 'label_names.csv'), onBadInput: 'skip',
      channelFiles: { green: 'train/{id}_green.png', red: 'train/{id}_red.png', blue: 'train/{id}_blue.png', yellow: 'train/{id}_yellow.png' },
      image: { size: 32, channels: ['green', 'red', 'blue', 'yellow'] }, split: { kind: 'stratified', testFraction: 0.25, valFraction: 0.25 },
      classWeights: 'one-minus-frequency', anomalyFilter: { std: 3 }, cache: { dir: path.join(work, 'cache') },
    },
    model: { backbone: 'small-cnn', width: 0.5, head: 'multilabel' },
    train: { epochs: 12, batchSize: 8, lr: 0.005, loss: 'bce', checkpoint: false },
    tracking: { experiment: 'ml-test' },
  }, { baseDir: work, env: {}, set: over });
}

const quiet = { trackingUri: store, progress: 'off' as const, log: () => undefined };
const artifacts = (s: { experiment_id: string; run_id: string }) => path.join(store, s.experiment_id, s.run_id, 'artifacts');

test('a multi-label run: per-label thresholds chosen on validation are logged and applied to test; predictions.csv reads back to the same metrics', { timeout: 300_000 }, async () => {
  const { summary, trial } = await runExperiment(experiment(), quiet);
  assert.equal(summary.status, 'FINISHED', summary.reason);
  for (const k of ['micro_f1', 'macro_f1', 'micro_precision', 'micro_recall', 'samples_f1', 'hamming_loss']) assert.equal(typeof summary.metrics[k], 'number', k);
  assert.equal(trial.metrics.subset_accuracy, trial.metrics.accuracy);
  const dir = artifacts(summary);
  const th = JSON.parse(fs.readFileSync(path.join(dir, 'thresholds.json'), 'utf8'));
  assert.equal(th.decision, 'per-label');
  assert.equal(th.chosen_on, 'val');
  const labels = Object.keys(th.thresholds);
  assert.ok(labels.length >= 5 && labels.includes('Nucleoplasm'), labels.join(', '));
  // One metric per label threshold.
  const metricDir = path.join(store, summary.experiment_id, summary.run_id, 'metrics', 'threshold');
  assert.deepEqual(fs.readdirSync(metricDir).sort(), labels.map((l) => l.replace(/[^A-Za-z0-9_\-. ]/g, '_')).sort());
  for (const k of ['micro_f1', 'macro_f1']) assert.ok(fs.existsSync(path.join(store, summary.experiment_id, summary.run_id, 'metrics', 'test', k)), `test/${k} logged`);
  const csv = fs.readFileSync(path.join(dir, 'predictions.csv'), 'utf8');
  assert.equal(csv.split('\n')[0], ['id', 'path', 'labels', ...labels, 'predicted'].join(','));
  // The predicted sets follow the logged thresholds.
  for (const line of csv.trim().split('\n').slice(1, 6)) {
    const cells = line.split(',');
    const scores = cells.slice(3, 3 + labels.length).map(Number);
    assert.equal(cells[cells.length - 1], labels.filter((l, c) => scores[c] >= th.thresholds[l] - 5e-6).join('|'));
  }
  const back = await evaluateFile({ file: path.join(dir, 'predictions.csv') });
  for (const k of ['micro_f1', 'macro_f1', 'samples_f1', 'hamming_loss']) assert.ok(Math.abs((back.json[k] as number) - trial.metrics[k]) < 1e-9, `${k}: evaluate ${back.json[k]} vs run ${trial.metrics[k]}`);
  for (const p of ['per_label_f1', 'label_counts', 'label_cooccurrence', 'pr_per_label']) assert.ok(fs.existsSync(path.join(dir, 'plots', `${p}.svg`)), p);
});

test('a ReLU head degenerates as in the study: the run is recorded as diverged and its predictions are still evaluated', { timeout: 300_000 }, async () => {
  const { summary, trial } = await runExperiment(experiment({ 'train.headActivation': 'relu', 'train.lr': 0.01 }), quiet);
  assert.equal(summary.outcome, 'diverged', JSON.stringify(summary));
  assert.match(summary.reason!, /no better than always predicting the training class prior/);
  assert.equal(typeof trial.metrics.micro_f1, 'number');
  assert.ok(fs.existsSync(path.join(artifacts(summary), 'predictions.csv')));
});

test('the dense head trains on first labels (softmax) and is evaluated on the label sets, one label per image', { timeout: 300_000 }, async () => {
  const { summary, trial } = await runExperiment(experiment({ 'model.head': 'dense', 'train.loss': 'cross-entropy', 'eval.multiLabel.decision': 'top-k' }), quiet);
  assert.equal(summary.status, 'FINISHED', summary.reason);
  assert.equal(trial.metrics.predicted_labels_per_sample, 1);
  assert.equal(JSON.parse(fs.readFileSync(path.join(artifacts(summary), 'thresholds.json'), 'utf8')).k, 1);
});

test('cells from the segmentation: trained on crops, evaluated per image (cell scores averaged)', { timeout: 300_000 }, async () => {
  const { summary, trial } = await runExperiment(experiment({ 'dataset.cells': { segmentation: 'train/{id}_cells.png', aggregate: 'max' } }), quiet);
  assert.equal(summary.status, 'FINISHED', summary.reason);
  const csv = fs.readFileSync(path.join(artifacts(summary), 'predictions.csv'), 'utf8').trim().split('\n');
  const ids = csv.slice(1).map((l) => l.split(',')[0]);
  assert.ok(ids.every((id) => /^[0-9a-f-]{36}$/.test(id)), 'one row per image, not per cell');
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(trial.metrics.micro_f1 >= 0);
});

test('settings that do not fit label sets fail before a run exists, saying what to set', async () => {
  const fails = async (over: Record<string, unknown>, re: RegExp) => {
    await assert.rejects(runExperiment(experiment(over), quiet), (err: unknown) => err instanceof ConfigError && re.test((err as Error).message));
  };
  await fails({ 'model.head': 'linear' }, /model.head linear is single-label/);
  await fails({ 'train.loss': 'cross-entropy' }, /train.loss cross-entropy is for single-label data/);
  await fails({ 'eval.threshold': 'f1' }, /eval.threshold is for binary tasks/);
  await fails({ 'dataset.multiLabel': 'first', 'dataset.classWeights': 'none' }, /model.head is multilabel but the data has one label per item/);
});
