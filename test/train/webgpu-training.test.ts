// Training and evaluation on the webgpu backend (lavapipe in CI): fit() learns
// without leaking tensors and Node exits by itself afterwards; a short run
// ends with the weights the cpu backend computes (label sets too); scores
// (with test-time augmentation), the evaluation loss, features, the bag loop,
// self-supervised pretraining, the LR range test and Grad-CAM agree with cpu.
// None of it may read a tensor synchronously (a SyncReadError there).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { Random } from '../../src/engine/random';
import { validate } from '../../src/engine/schema';
import { createBackbone } from '../../src/models/index';
import { MilModel } from '../../src/models/mil';
import { fit } from '../../src/train/loop';
import { evaluateLoss, predictScores } from '../../src/train/predict';
import { extractFeatures } from '../../src/train/features';
import { fitBags, predictBags } from '../../src/train/bag-loop';
import { fitSsl } from '../../src/train/ssl/fit';
import { lrRangeTest } from '../../src/train/lr-find';
import { gradCam } from '../../src/models/grad-cam';
import type { BagSet } from '../../src/train/bags';
import type { BatchSource } from '../../src/data/batches';
import { trainSchema, type TrainConfig } from '../../src/train/schema';
import type { EpochRow } from '../../src/train/history';
import { webgpuSkip } from '../engine/webgpu-adapter';
import { toyLabelSets, toySource } from './toy-data';

const skip = webgpuSkip();

function config(over: Record<string, unknown>): TrainConfig {
  const problems: string[] = [];
  const cfg = validate(trainSchema, { epochs: 2, lr: 0.01, batchSize: 8, ...over }, 'train', problems) as TrainConfig;
  assert.deepEqual(problems, []);
  return cfg;
}

/** Largest difference between two weight lists, relative to each weight's own size. */
function weightError(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((w, i) => {
    let d = 0, n = 0;
    for (let j = 0; j < w.length; j++) { d += (w[j] - b[i][j]) ** 2; n += b[i][j] ** 2; }
    worst = Math.max(worst, Math.sqrt(d / Math.max(n, 1e-30)));
  });
  return worst;
}
const readAll = (ts: tf.Tensor[]) => Promise.all(ts.map((t) => t.data() as Promise<Float32Array>));
const strip = (h: EpochRow[]) => h.map(({ images_per_second: _, ...r }) => r);

test('20 steps on webgpu: the loss falls, the tensor count stays flat, Node exits by itself', { skip, timeout: 120_000 }, () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'fixtures', 'webgpu-steps.ts')], {
    cwd: path.join(__dirname, 'fixtures'), encoding: 'utf8', timeout: 100_000,
  });
  assert.equal(r.signal, null, 'the process ended by itself (not killed at the timeout)');
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { backend: string; outcome: string; history: EpochRow[]; tensors: number[]; after: number };
  assert.equal(out.backend, 'webgpu');
  assert.equal(out.outcome, 'completed');
  const losses = out.history.map((h) => h['train/loss']);
  assert.equal(out.tensors.length, 20, 'one report per step');
  for (let i = 1; i < losses.length; i++) assert.ok(losses[i] < losses[i - 1], `train/loss by epoch ${losses}`);
  assert.ok(losses[3] < 0.6 * losses[0], `train/loss by epoch ${losses}`);
  // Per step: the same count every epoch once the optimiser's slots and the best weights exist.
  const epochs = [0, 1, 2, 3].map((e) => out.tensors.slice(5 * e, 5 * e + 5));
  assert.deepEqual(epochs[2], epochs[1], `tensors after each step: ${out.tensors}`);
  assert.deepEqual(epochs[3], epochs[1], `tensors after each step: ${out.tensors}`);
  assert.equal(out.after, 0, 'nothing left once the model is disposed');
  assert.ok(!/Error|leak/i.test(r.stderr.replace(/^Warning: .*artificially reduced.*$/gm, '')), r.stderr);
});

/** The same fit() on cpu, then on webgpu (fresh model and data each time): each side's result and final weights. */
async function fitOnBoth(model: () => tf.LayersModel, data: () => [BatchSource, BatchSource], cfg: TrainConfig) {
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    const net = model();
    const [train, val] = data();
    const result = await fit(net, train, val, cfg);
    const weights = await readAll(net.weights.map((w) => w.read()));
    net.dispose();
    return { result, weights };
  };
  const cpu = await run('cpu');
  return { cpu, gpu: await run('webgpu') };
}

test('a short training on webgpu ends with the weights and epoch rows cpu computes', { skip }, async () => {
  await initEngine({ backend: 'webgpu', log: null });
  const cfg = config({ epochs: 2, optimizer: 'adamw', weightDecay: 0.01, schedule: { kind: 'cosine', warmupEpochs: 0.5 }, clipGradNorm: 1, labelSmoothing: 0.1, seed: 3 });
  const { cpu, gpu } = await fitOnBoth(() => createBackbone('small-cnn', { inputShape: [16, 16, 1], classes: 3, width: 0.5, seed: 3, dropout: 0.2 }),
    () => [toySource(32, 1), toySource(12, 2)], cfg);
  assert.equal(gpu.result.outcome, 'completed');
  const error = weightError(gpu.weights, cpu.weights);
  assert.ok(error <= 1e-4, `weights differ by ${error.toExponential(2)} (relative, worst weight)`);
  const rows = [strip(gpu.result.history), strip(cpu.result.history)];
  rows[0].forEach((row, i) => {
    for (const [k, v] of Object.entries(row)) assert.ok(Math.abs(v - rows[1][i][k]) <= 1e-4 * Math.max(1, Math.abs(v)), `epoch ${i + 1} ${k}: ${v} vs ${rows[1][i][k]}`);
  });
});

/** Every number of every epoch row within 1e-4 (relative above 1). */
function sameRows(gpu: EpochRow[], cpu: EpochRow[]): void {
  const [g, c] = [strip(gpu), strip(cpu)];
  assert.equal(g.length, c.length, 'epochs');
  g.forEach((row, i) => {
    assert.deepEqual(Object.keys(row).sort(), Object.keys(c[i]).sort());
    for (const [k, v] of Object.entries(row)) assert.ok(Math.abs(v - c[i][k]) <= 1e-4 * Math.max(1, Math.abs(v)), `epoch ${i + 1} ${k}: ${v} vs ${c[i][k]}`);
  });
}

test('label sets on webgpu: the epoch rows (micro F1, subset accuracy) and weights cpu computes', { skip }, async () => {
  await initEngine({ backend: 'webgpu', log: null });
  const cfg = config({ epochs: 2, loss: 'bce', seed: 4 });
  const { cpu, gpu } = await fitOnBoth(() => createBackbone('small-cnn', { inputShape: [16, 16, 1], classes: 3, width: 0.5, seed: 4 }),
    () => [toyLabelSets(48, 1), toyLabelSets(12, 2)], cfg);
  assert.equal(gpu.result.outcome, 'completed');
  assert.ok(weightError(gpu.weights, cpu.weights) <= 1e-4);
  assert.equal(typeof gpu.result.history[0]['val/micro_f1'], 'number');
  sameRows(gpu.result.history, cpu.result.history);
});

test('self-supervised pretraining on webgpu (BYOL, SimSiam): the epoch rows cpu computes', { skip }, async () => {
  await initEngine({ backend: 'webgpu', log: null });
  for (const method of ['byol', 'simsiam']) {
    // SGD: Adam's first step moves each weight by about lr whatever its gradient's size, and the
    // projector's output bias has a gradient of exactly 0 in theory (BYOL: the predictor's batch
    // norm removes it), so float32 rounding noise (~1e-8) there would become whole steps.
    const cfg = config({ method, epochs: 1, optimizer: 'sgd', momentum: 0.9, seed: 2, ssl: { projectionDim: 16, projectionHiddenDim: 32 } });
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const model = createBackbone('small-cnn', { inputShape: [16, 16, 1], classes: 3, width: 0.5, seed: 2 });
      const result = await fitSsl(model, toySource(16, 3), cfg, {}, { featureLayer: 'features' });
      model.dispose();
      return result;
    };
    const cpu = await run('cpu');
    const gpu = await run('webgpu');
    assert.notEqual(gpu.outcome, 'diverged', `${method}: ${gpu.reason}`);
    assert.equal(gpu.outcome, cpu.outcome, method);
    sameRows(gpu.history, cpu.history);
  }
});

test('the LR range test and Grad-CAM on webgpu give cpu\'s curve and maps', { skip }, async () => {
  await initEngine({ backend: 'webgpu', log: null });
  const cfg = config({ seed: 6 });
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    const model = createBackbone('resnet18', { inputShape: [16, 16, 1], classes: 3, width: 0.125, seed: 6 });
    const x = tf.tensor4d(toySource(2, 7).data, [2, 16, 16, 1]);
    const cam = await gradCam(model, x, [0, 2]);
    const lr = await lrRangeTest(model, toySource(24, 5), cfg, { startLr: 1e-4, endLr: 0.1, steps: 6 });
    tf.dispose([x]);
    model.dispose();
    return { cam, lr };
  };
  const cpu = await run('cpu');
  const gpu = await run('webgpu');
  assert.ok(weightError(gpu.cam.maps, cpu.cam.maps) <= 1e-4, 'Grad-CAM maps');
  assert.equal(gpu.lr.points.length, 6);
  gpu.lr.points.forEach((p, i) => assert.ok(Math.abs(p.loss - cpu.lr.points[i].loss) <= 1e-4 * Math.max(1, p.loss), `step ${i}: ${p.loss} vs ${cpu.lr.points[i].loss}`));
});

test('evaluation on webgpu equals cpu: scores with test-time augmentation, the loss, features', { skip }, async () => {
  await initEngine({ backend: 'webgpu', log: null });
  const source = toySource(21, 4);
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    const model = createBackbone('resnet18', { inputShape: [16, 16, 1], classes: 3, width: 0.125, seed: 5 });
    const scores = await predictScores(model, source, { batchSize: 8, tta: 'dihedral' });
    const loss = await evaluateLoss(model, source, 8);
    const features = await extractFeatures(model, source, { layer: 'features', batchSize: 8 });
    model.dispose();
    return { scores: scores.scores, loss, features: features.features };
  };
  const cpu = await run('cpu');
  const gpu = await run('webgpu');
  assert.ok(weightError([gpu.scores, gpu.features], [cpu.scores, cpu.features]) <= 1e-4);
  assert.ok(Math.abs(gpu.loss.loss - cpu.loss.loss) <= 1e-5, `${gpu.loss.loss} vs ${cpu.loss.loss}`);
  assert.equal(gpu.loss.accuracy, cpu.loss.accuracy);
});

test('the bag loop on webgpu ends with cpu\'s predictions (attention, metadata expert, auxiliary head)', { skip }, async () => {
  await initEngine({ backend: 'webgpu', log: null });
  const r = new Random(9);
  const bags = (n: number): BagSet => {
    const offsets = [0], feats: number[] = [], labels: number[] = [], meta: number[] = [], aux: number[] = [];
    for (let b = 0; b < n; b++) {
      const y = b % 2, size = 2 + r.int(5);
      for (let i = 0; i < size; i++) feats.push(...Array.from({ length: 4 }, (_, j) => r.normal(j === 0 && i === 0 && y ? 2 : 0, 1)));
      offsets.push(offsets[b] + size);
      labels.push(y);
      meta.push(r.normal(y, 1));
      aux.push(r.normal(0, 1));
    }
    return { ids: labels.map((_, b) => `p${b}`), labels: Int32Array.from(labels), offsets: Int32Array.from(offsets), features: Float32Array.from(feats), dim: 4,
      instanceIds: Array.from({ length: offsets[n] }, (_, i) => `i${i}`), meta: Float32Array.from(meta), metaDim: 1, aux: Float32Array.from(aux) };
  };
  const train = bags(24), val = bags(10);
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    const model = new MilModel({ featureDim: 4, metaDim: 1, experts: 'moe', aggregation: 'attention', hidden: 8, attentionDim: 8, metadataHidden: 8,
      dropout: 0.1, auxiliary: true, seed: 2 });
    const result = await fitBags(model, train, val, config({ epochs: 3, loss: 'bce', optimizer: 'adamw' }), {}, { classWeights: [1, 2], auxWeight: 0.5 });
    const p = await predictBags(model, val);
    model.dispose();
    return { result, p };
  };
  const cpu = await run('cpu');
  const gpu = await run('webgpu');
  assert.equal(gpu.result.outcome, 'completed');
  const fields = ['scores', 'yImage', 'yMeta', 'pi', 'aux', 'weights'] as const;
  for (const f of fields) assert.ok(weightError([gpu.p[f]!], [cpu.p[f]!]) <= 1e-4, f);
  assert.deepEqual(gpu.result.history.map((h) => h['val/balanced_accuracy']), cpu.result.history.map((h) => h['val/balanced_accuracy']));
});
