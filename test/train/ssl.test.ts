// Self-supervised pretraining as its papers define it: BYOL's target network
// moves only by the EMA (tau cosine-scheduled from its base to 1), never by a
// gradient; SimSiam's stop-gradient blocks its own branch; the losses and the
// collapse monitor have their textbook values; a collapsed run is reported as
// such; no label is read.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { createBackbone } from '../../src/models/index';
import { InMemoryBatchSource } from '../../src/data/batches';
import { validate } from '../../src/engine/schema';
import { trainSchema, type TrainConfig } from '../../src/train/schema';
import { createOptimizer } from '../../src/train/optimizers';
import { byolLoss, embeddingStd, emaTau, fitSsl, simsiamLoss, sslStepsPerEpoch, SslLearner, viewBatches } from '../../src/train/index';
import { stopGradient } from '../../src/train/ssl/losses';
import { toySource } from './toy-data';

before(async () => { await initEngine({ backend: 'wasm', log: null }); });

function config(over: Record<string, unknown>): TrainConfig {
  const problems: string[] = [];
  const cfg = validate(trainSchema, { method: 'byol', epochs: 2, lr: 0.01, batchSize: 8, optimizer: 'adamw',
    ...over, ssl: { projectionDim: 16, projectionHiddenDim: 32, ...(over.ssl as object) } }, 'train', problems) as TrainConfig;
  assert.deepEqual(problems, []);
  return cfg;
}

const backbone = (seed = 0) => createBackbone('small-cnn', { inputShape: [16, 16, 1], classes: 3, width: 0.5, seed });
const snapshot = (ws: tf.LayerVariable[]) => new Map(ws.map((w) => [w.originalName, Float32Array.from(w.read().dataSync() as Float32Array)]));

test('tau follows BYOL\'s cosine schedule from its base to 1', () => {
  assert.equal(emaTau(0, 100, 0.996), 0.996);
  assert.equal(emaTau(100, 100, 0.996), 1);
  assert.ok(Math.abs(emaTau(50, 100, 0.996) - 0.998) < 1e-12);
  // 1 - (1 - 0.99) (cos(pi k / K) + 1) / 2 at k = 25 of 100.
  assert.ok(Math.abs(emaTau(25, 100, 0.99) - (1 - 0.01 * (Math.cos(Math.PI / 4) + 1) / 2)) < 1e-12);
  for (let k = 1; k <= 100; k++) assert.ok(emaTau(k, 100, 0.996) >= emaTau(k - 1, 100, 0.996));
});

test('BYOL: each step moves the target to tau * target + (1 - tau) * online, with the scheduled tau', async () => {
  const net = backbone();
  const cfg = config({ epochs: 2, ssl: { tau: 0.9 } });
  const learner = await SslLearner.create(net, { method: 'byol', featureLayer: 'features', ssl: cfg.ssl, seed: 0 });
  const opt = createOptimizer({ name: 'adamw' });
  try {
    const pairs = learner.emaPairs();
    assert.ok(pairs.length >= 8, `${pairs.length} pairs`);
    // Every trainable weight of backbone + projector is followed; the predictor has no target.
    assert.equal(pairs.length, learner.online.embed.trainableWeights.length + learner.online.projector.trainableWeights.length);
    // It starts as an exact copy.
    for (const { target, online } of pairs) assert.deepEqual(target.read().dataSync(), online.read().dataSync(), target.originalName);
    const source = toySource(24, 1);
    const total = 2 * sslStepsPerEpoch(24, 8);
    let step = 0;
    for (let epoch = 0; epoch < 2; epoch++) {
      for (const v of viewBatches(source, cfg.ssl.views, { batchSize: 8, shuffleSeed: epoch, seed: epoch })) {
        const before = new Map(pairs.map((p) => [p.target.originalName, Float32Array.from(p.target.read().dataSync() as Float32Array)]));
        const tau = emaTau(step++, total, cfg.ssl.tau);
        await learner.step(v.x, v.n, { optimizer: opt, lr: 0.01, tau, vars: learner.trainableVariables(), pairs });
        v.x.dispose();
        let worst = 0, moved = 0;
        for (const { target, online } of pairs) {
          const t0 = before.get(target.originalName)!, t1 = target.read().dataSync(), o1 = online.read().dataSync();
          for (let i = 0; i < t0.length; i++) {
            worst = Math.max(worst, Math.abs(t1[i] - (tau * t0[i] + (1 - tau) * o1[i])));
            moved = Math.max(moved, Math.abs(t1[i] - t0[i]));
          }
        }
        assert.ok(worst < 1e-6, `step ${step}: target differs from the EMA formula by ${worst}`);
        assert.ok(moved > 0, `step ${step}: the target did not move`);
      }
    }
    assert.equal(step, total);
  } finally {
    learner.dispose();
    opt.dispose();
    net.dispose();
  }
});

test('BYOL: the target network is never updated by gradients (not among the optimised weights; with tau = 1 it stays put)', async () => {
  const net = backbone(1);
  const cfg = config({ epochs: 2, ssl: { tau: 1 } });
  let learner: SslLearner | undefined, targetBefore: Map<string, Float32Array> | undefined, targetAfter: Map<string, Float32Array> | undefined;
  const onlineBefore = snapshot(net.trainableWeights);
  await fitSsl(net, toySource(32, 2), cfg, {}, {
    featureLayer: 'features',
    onStep: (s) => {
      if (!learner) {
        learner = s.learner;
        const optimised = new Set(learner.trainableVariables());
        const targetVars = [...learner.target!.embed.weights, ...learner.target!.projector.weights].map((w) => w.read() as tf.Variable);
        assert.ok(targetVars.every((v) => !optimised.has(v)), 'a target weight is handed to the optimiser');
        // Taken after the first step: at tau 1 its EMA is the identity. (The target's batch-norm
        // statistics are its own forward passes', not weights: they are left out.)
        targetBefore = snapshot(learner.emaPairs().map((p) => p.target));
      }
      targetAfter = snapshot(learner.emaPairs().map((p) => p.target));
    },
  });
  for (const [name, v] of targetBefore!) assert.deepEqual(targetAfter!.get(name), v, `target weight ${name} changed`);
  const changed = [...snapshot(net.trainableWeights)].filter(([name, v]) => v.some((x, i) => x !== onlineBefore.get(name)![i]));
  assert.ok(changed.length > 0, 'the online backbone did not train');
  net.dispose();
});

test('stop-gradient passes values and blocks gradients (SimSiam\'s other branch)', () => {
  const x = tf.tensor2d([[1, 2], [3, -1]]);
  assert.deepEqual(stopGradient(x).arraySync(), x.arraySync());
  // d/dx sum(sg(x) * x) = sg(x): the stopped factor is a constant.
  const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(stopGradient(t as tf.Tensor2D), t)))(x);
  assert.deepEqual(g.arraySync(), x.arraySync());
  const g2 = tf.grad((t: tf.Tensor) => tf.sum(stopGradient(t as tf.Tensor2D)))(x);
  assert.deepEqual(g2.arraySync(), [[0, 0], [0, 0]]);
  tf.dispose([x, g, g2]);
});

test('losses and the spread monitor have their textbook values', () => {
  const p = tf.tensor2d([[1, 0], [0, 2], [3, 4]]);
  const same = tf.tensor2d([[2, 0], [0, 1], [6, 8]]), opposite = tf.neg(same) as tf.Tensor2D, orthogonal = tf.tensor2d([[0, 1], [3, 0], [-4, 3]]);
  const near = (t: tf.Scalar, v: number) => assert.ok(Math.abs(t.dataSync()[0] - v) < 1e-6, `${t.dataSync()[0]} vs ${v}`);
  near(byolLoss(p, same), 0); near(byolLoss(p, orthogonal), 2); near(byolLoss(p, opposite), 4);
  near(simsiamLoss(p, same), -1); near(simsiamLoss(p, opposite), 1); near(simsiamLoss(p, orthogonal), 0);
  // Identical rows: no spread. The standard basis in 4 dimensions: sqrt(1 - 1/4) after the sqrt(d) scaling.
  near(embeddingStd(tf.tensor2d([[1, 2, 3], [2, 4, 6], [0.5, 1, 1.5]])), 0);
  near(embeddingStd(tf.eye(4) as tf.Tensor2D), Math.sqrt(0.75));
  // An all-zero output (a dead network) is finite: spread 0, BYOL loss 2.
  near(embeddingStd(tf.zeros([3, 2]) as tf.Tensor2D), 0);
  near(byolLoss(tf.zeros([3, 2]) as tf.Tensor2D, same), 2);
});

test('collapse: identical images give embeddings with no spread, and the run says `collapsed`', async () => {
  // Black images stay black under every view (crop, flips, jitter, blur, solarize below 0.5): one output for all.
  const n = 16;
  const black = new InMemoryBatchSource(new Float32Array(n * 16 * 16), [16, 16, 1], Int32Array.from({ length: n }, (_, i) => i % 2), Array.from({ length: n }, (_, i) => `b${i}`), 2);
  for (const method of ['byol', 'simsiam']) {
    const net = backbone();
    const r = await fitSsl(net, black, config({ method, epochs: 1 }), {}, { featureLayer: 'features' });
    assert.equal(r.outcome, 'collapsed', `${method}: ${r.outcome}`);
    assert.ok(r.embeddingStd < 1e-3, `${method}: spread ${r.embeddingStd}`);
    assert.ok(r.history[0]['train/effective_rank'] < 1, `${method}: effective rank ${r.history[0]['train/effective_rank']}`);
    assert.match(r.reason!, /collapsed.*train\/embedding_std.*below train\.ssl\.collapseStd 0\.02/);
    assert.equal(r.checkpoint, undefined);
    net.dispose();
  }
  // Real images keep their spread: completed.
  const net = backbone();
  const ok = await fitSsl(net, toySource(32, 3), config({ epochs: 1 }), {}, { featureLayer: 'features' });
  assert.equal(ok.outcome, 'completed');
  assert.ok(ok.embeddingStd > 0.1, `spread ${ok.embeddingStd}`);
  assert.ok(ok.history[0]['train/effective_rank'] > 1.5, `effective rank ${ok.history[0]['train/effective_rank']}`);
  net.dispose();
});

test('a non-finite loss is reported as diverged', async () => {
  const net = backbone();
  const r = await fitSsl(net, toySource(32, 4), config({ method: 'simsiam', lr: 1e30, optimizer: 'sgd' }), {}, { featureLayer: 'features' });
  assert.equal(r.outcome, 'diverged');
  assert.match(r.reason!, /self-supervised loss became (NaN|-?Infinity) at epoch 1/);
  net.dispose();
});

test('no label is read: permuted labels give the same run; every epoch logs loss, spread, tau and evaluation', async () => {
  const run = async (labels: Int32Array) => {
    const src = toySource(24, 5);
    const relabelled = new InMemoryBatchSource(src.data, src.shape, labels, src.ids, 3);
    const net = backbone(2);
    const evaluated: number[] = [];
    const r = await fitSsl(net, relabelled, config({ epochs: 3, ssl: { evalEvery: 2 } }), {}, {
      featureLayer: 'features', evaluate: (epoch) => { evaluated.push(epoch); return { 'val/knn_accuracy': epoch / 10 }; },
    });
    net.dispose();
    return { history: r.history.map(({ images_per_second: _, ...row }) => row), evaluated };
  };
  const a = await run(Int32Array.from({ length: 24 }, (_, i) => i % 3));
  const b = await run(Int32Array.from({ length: 24 }, (_, i) => (i * 7 + 1) % 3));
  assert.deepEqual(a.history, b.history);
  assert.deepEqual(a.evaluated, [2, 3], 'every 2 epochs and after the last');
  for (const row of a.history) for (const k of ['train/ssl_loss', 'train/embedding_std', 'train/effective_rank', 'train/ema_tau', 'lr']) assert.ok(Number.isFinite(row[k]), `${k} in epoch ${row.epoch}`);
  assert.ok(a.history[2]['train/ssl_loss'] < a.history[0]['train/ssl_loss'], 'the loss falls');
  assert.equal(a.history[1]['val/knn_accuracy'], 0.2);
  assert.equal(a.history[0]['val/knn_accuracy'], undefined);
});

test('SimSiam: the predictor keeps the base learning rate while the schedule lowers the rest (Chen & He 2021, 4)', async () => {
  // Step schedule with gamma 0: epoch 2 runs at lr 0 for backbone and projector, the predictor still learns.
  const net = backbone(3);
  const cfg = config({ method: 'simsiam', epochs: 2, optimizer: 'sgd', lr: 0.05, schedule: { kind: 'step', stepEpochs: 1, gamma: 0 } });
  let learner: SslLearner | undefined;
  let afterOne: { online: Map<string, Float32Array>; predictor: Map<string, Float32Array> } | undefined;
  let last: typeof afterOne;
  const take = (l: SslLearner) => ({ online: snapshot([...l.online.embed.trainableWeights, ...l.online.projector.trainableWeights]), predictor: snapshot(l.predictor.trainableWeights) });
  const r = await fitSsl(net, toySource(32, 6), cfg, { onEpochEnd: (row) => { if (row.epoch === 1) afterOne = take(learner!); } }, {
    featureLayer: 'features', onStep: (s) => { learner = s.learner; last = take(s.learner); },
  });
  assert.equal(r.history[1].lr, 0);
  for (const [name, v] of afterOne!.online) assert.deepEqual(last!.online.get(name), v, `${name} moved at lr 0`);
  const moved = [...afterOne!.predictor].filter(([name, v]) => v.some((x, i) => x !== last!.predictor.get(name)![i]));
  assert.ok(moved.length > 0, 'the predictor did not learn in epoch 2');
  net.dispose();
});

test('SimSiam: train.ssl.predictorLrScale scales the predictor\'s fixed rate only', async () => {
  // One SGD step from the same start: the predictor moves 3x as far with scale 3, the rest the same.
  const run = async (predictorLrScale: number) => {
    const net = backbone(4);
    let after: { online: Map<string, Float32Array>; predictor: Map<string, Float32Array> } | undefined;
    const take = (l: SslLearner) => ({ online: snapshot([...l.online.embed.trainableWeights, ...l.online.projector.trainableWeights]), predictor: snapshot(l.predictor.trainableWeights) });
    const cfg = config({ method: 'simsiam', epochs: 1, batchSize: 8, optimizer: 'sgd', momentum: 0, lr: 0.05, ssl: { predictorLrScale } });
    await fitSsl(net, toySource(8, 7), cfg, {}, { featureLayer: 'features', onStep: (s) => { after = take(s.learner); } });
    // The start: the same seeds build the same heads.
    const start = backbone(4);
    const l = await SslLearner.create(start, { method: 'simsiam', featureLayer: 'features', ssl: cfg.ssl, seed: cfg.seed });
    const before = take(l);
    l.dispose();
    start.dispose();
    net.dispose();
    const delta = (part: 'online' | 'predictor') => [...before[part]].map(([name, v]) => v.map((x, i) => after![part].get(name)![i] - x));
    return { online: delta('online'), predictor: delta('predictor') };
  };
  const one = await run(1), three = await run(3);
  const norm = (ds: Float32Array[]) => Math.sqrt(ds.reduce((s, d) => s + d.reduce((t, x) => t + x * x, 0), 0));
  assert.ok(norm(one.predictor) > 0, 'the predictor moved');
  assert.ok(Math.abs(norm(three.predictor) / norm(one.predictor) - 3) < 1e-3, `predictor step ratio ${norm(three.predictor) / norm(one.predictor)}`);
  assert.ok(Math.abs(norm(three.online) / norm(one.online) - 1) < 1e-4, `backbone + projector step ratio ${norm(three.online) / norm(one.online)}`);
});
