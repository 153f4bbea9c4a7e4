// The training loop as a user sees it: it learns, it is reproducible, it
// reports divergence instead of crashing, early stopping and best-epoch
// restore pick the right weights, frozen layers stay put until unfrozen.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { createBackbone } from '../../src/models/index';
import { freezeLayers } from '../../src/models/freeze';
import { loadCheckpoint } from '../../src/models/checkpoint';
import { fit, type FitOptions } from '../../src/train/loop';
import { evaluateLoss, predictScores } from '../../src/train/predict';
import { validate } from '../../src/engine/schema';
import { trainSchema, type TrainConfig } from '../../src/train/schema';
import { toyLabelSets, toySource } from './toy-data';

before(async () => { await initEngine({ backend: 'wasm', log: null }); });

const train = toySource(48, 1);
const val = toySource(24, 2);

/** A full train config from the schema's defaults plus overrides (as an experiment file would give). */
function config(over: Record<string, unknown>): TrainConfig {
  const problems: string[] = [];
  const cfg = validate(trainSchema, { epochs: 3, lr: 0.01, batchSize: 8, ...over }, 'train', problems) as TrainConfig;
  assert.deepEqual(problems, []);
  return cfg;
}

const model = (seed = 0, dropout = 0) => createBackbone('small-cnn', { inputShape: [16, 16, 1], classes: 3, width: 0.5, seed, dropout });

async function run(over: Record<string, unknown>, o: FitOptions = {}, m = model()) {
  const result = await fit(m, train, val, config(over), {}, o);
  return { result, m };
}

test('learns the toy task; every epoch row carries train/val loss and accuracy and the rate', async () => {
  const { result, m } = await run({ epochs: 4 });
  assert.equal(result.outcome, 'completed');
  assert.equal(result.history.length, 4);
  for (const row of result.history) {
    for (const k of ['train/loss', 'train/accuracy', 'val/loss', 'val/accuracy', 'lr']) assert.equal(typeof row[k], 'number', k);
  }
  const best = result.history.find((h) => h.epoch === result.bestEpoch)!;
  assert.ok(best['val/accuracy'] >= 0.9, `val accuracy ${best['val/accuracy']}`);
  // The model holds the best epoch's weights.
  assert.equal((await evaluateLoss(m, val)).accuracy, best['val/accuracy']);
  m.dispose();
});

test('same seed, same backend: identical metrics (init, shuffling, dropout masks); another seed: different ones', async () => {
  const over = { epochs: 2, seed: 7, optimizer: 'adamw', schedule: { kind: 'cosine', warmupEpochs: 0.5 } };
  const a = await run(over, {}, model(7, 0.3));
  const b = await run(over, {}, model(7, 0.3));
  const c = await run({ ...over, seed: 8 }, {}, model(8, 0.3));
  const strip = (h: typeof a.result.history) => h.map(({ images_per_second: _, ...r }) => r);
  assert.deepEqual(strip(a.result.history), strip(b.result.history));
  assert.notDeepEqual(strip(a.result.history), strip(c.result.history));
  [a, b, c].forEach((r) => r.m.dispose());
});

test('lr 10 diverges: outcome "diverged" with the reason, no exception', async () => {
  const { result, m } = await run({ lr: 10, optimizer: 'sgd' });
  assert.equal(result.outcome, 'diverged');
  assert.match(result.reason!, /training loss (became NaN|became Infinity|.*no better than always predicting the training class prior)/);
  m.dispose();
});

test('a model that does not learn is diverged against the class prior (imbalanced 40/4/4, lr 0)', async () => {
  const imbalanced = toySource(0, 3, 3, [40, 4, 4]);
  const m = model();
  const result = await fit(m, imbalanced, val, config({ lr: 0, epochs: 1 }));
  assert.equal(result.outcome, 'diverged');
  assert.match(result.reason!, /no better than always predicting the training class prior \(0\.\d+\)/);
  m.dispose();
});

test('early stopping stops after `patience` epochs without improvement and restores the best epoch', async () => {
  // minDelta 100: no epoch after the first counts as an improvement.
  const { result, m } = await run({ epochs: 6, earlyStopping: { monitor: 'val/loss', patience: 2, minDelta: 100 } });
  assert.equal(result.stoppedEpoch, 3);
  assert.equal(result.history.length, 3);
  assert.equal(result.bestEpoch, 1);
  assert.ok(Math.abs((await evaluateLoss(m, val)).loss - result.history[0]['val/loss']) < 1e-5, 'weights of epoch 1 restored');
  m.dispose();
});

test('an epoch callback returning {stop} ends training after that epoch, with its reason', async () => {
  const m = model();
  const seen: number[] = [];
  const result = await fit(m, train, val, config({ epochs: 5 }), { onEpochEnd: async (row) => { seen.push(row.epoch); return row.epoch === 2 ? { stop: 'pruned by the search' } : undefined; } });
  assert.deepEqual(seen, [1, 2]);
  assert.equal(result.history.length, 2);
  assert.equal(result.stoppedEpoch, 2);
  assert.equal(result.stopReason, 'pruned by the search');
  m.dispose();
});

test('an unknown monitor fails before training and lists the available metrics', async () => {
  await assert.rejects(run({ earlyStopping: { monitor: 'val/f1' } }), /train\.earlyStopping\.monitor: metric `val\/f1` is not available\. Available: train\/loss, train\/accuracy, val\/loss, val\/accuracy/);
  const m = model();
  await assert.rejects(fit(m, train, undefined, config({ schedule: { kind: 'plateau' } })), /metric `val\/loss` is not available \(there is no validation split/);
  m.dispose();
});

test('frozen layers keep their weights; unfreezeAfter trains them from the next epoch', async () => {
  const m = model();
  freezeLayers(m, { stages: ['stage1'] });
  const w0 = m.getLayer('stage1_conv').getWeights()[0].dataSync().slice();
  await fit(m, train, val, config({ epochs: 1 }));
  assert.deepEqual(m.getLayer('stage1_conv').getWeights()[0].dataSync(), w0);
  const logs: string[] = [];
  await fit(m, train, val, config({ epochs: 2, restoreBest: false }), {}, { unfreezeAfter: 1, log: (l) => logs.push(l) });
  assert.notDeepEqual(m.getLayer('stage1_conv').getWeights()[0].dataSync(), w0);
  assert.match(logs.join('\n'), /epoch 2: unfroze every layer/);
  m.dispose();
});

test('every layer frozen: a clear error', async () => {
  const m = model();
  freezeLayers(m, { layers: m.layers.length - 1 });
  await assert.rejects(fit(m, train, val, config({})), /every layer is frozen: nothing to train/);
  m.dispose();
});

test('the best checkpoint on disk reloads to the returned model', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-fit-'));
  const { result, m } = await run({ epochs: 2 }, { checkpointDir: dir, checkpointMeta: { backbone: 'small-cnn' } });
  assert.equal(result.checkpoint, path.join(dir, 'model.json'));
  const { model: loaded, meta } = await loadCheckpoint(dir);
  assert.equal(meta.epoch, result.bestEpoch);
  assert.deepEqual((await predictScores(loaded, val)).scores, (await predictScores(m, val)).scores);
  loaded.dispose(); m.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('gradient clipping, label smoothing, focal and bce losses all train', async () => {
  for (const over of [{ clipGradNorm: 0.1 }, { clipGradValue: 0.01 }, { labelSmoothing: 0.1 }, { loss: 'focal' }, { loss: 'bce', posWeight: 2 }, { optimizer: 'rmsprop', lr: 0.003 }, { optimizer: 'sgd', lr: 0.05, schedule: { kind: 'step', stepEpochs: 1, gamma: 0.5 } }]) {
    const { result, m } = await run(over);
    assert.equal(result.outcome, 'completed', JSON.stringify(over) + ' ' + result.reason);
    assert.ok(result.history[2]['train/loss'] < result.history[0]['train/loss'], `${JSON.stringify(over)}: loss did not fall`);
    m.dispose();
  }
});

test('fit does not leak tensors', async () => {
  const m = model();
  const before = tf.memory().numTensors;
  await fit(m, train, val, config({ epochs: 1, clipGradNorm: 1, earlyStopping: { patience: 1 } }), {}, { classWeights: [1, 2, 1] });
  assert.equal(tf.memory().numTensors, before);
  m.dispose();
});

test('label sets: each epoch logs train/micro_f1; val/accuracy is the subset accuracy and val/micro_f1 the micro F1 of the scores at 0.5', async () => {
  const mval = toyLabelSets(24, 2);
  const m = model();
  const result = await fit(m, toyLabelSets(48, 1), mval, config({ epochs: 2, loss: 'bce', restoreBest: false }));
  assert.equal(result.outcome, 'completed');
  for (const row of result.history) assert.ok(row['train/micro_f1'] >= 0 && row['train/micro_f1'] <= 1, `train/micro_f1 ${row['train/micro_f1']}`);
  // The model ends with the last epoch's weights: its label-set decisions, counted here.
  const { scores } = await predictScores(m, mval, { activation: 'sigmoid' });
  let exact = 0, tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < mval.size; i++) {
    let ok = true;
    for (let c = 0; c < 3; c++) {
      const y = mval.targets![i * 3 + c] === 1, q = scores[i * 3 + c] >= 0.5;
      if (y && q) tp++; else if (q) { fp++; ok = false; } else if (y) { fn++; ok = false; }
    }
    if (ok) exact++;
  }
  const last = result.history[1];
  assert.equal(last['val/accuracy'], exact / mval.size);
  assert.equal(last['val/micro_f1'], tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn));
  assert.ok(last['val/micro_f1'] > 0.5, `val/micro_f1 ${last['val/micro_f1']}: the toy label sets are learnable`);
  m.dispose();
});
