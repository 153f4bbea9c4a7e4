// The custom layers against what they replace or promise.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { BatchNorm, Gelu, PlainConv2D, LayerNorm, SeededDropout, SelfAttention, relativePositionIndex } from '../../src/models/layers/index';
import { createBackbone } from '../../src/models/index';

before(async () => { await initEngine({ backend: 'wasm', log: null }); });

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

test('batch norm: moving statistics match the data after 5 batches (a plain 0.9 EMA would still be 59% off)', () => {
  const bn = new BatchNorm({ momentum: 0.9 });
  const batches = [0, 1, 2, 3, 4].map((i) => tf.randomNormal([16, 4, 4, 3], 3, 0.1, 'float32', i));
  for (const x of batches) tf.tidy(() => { bn.apply(x, { training: true }); });
  const [, , mean, variance, tracked] = bn.getWeights();
  assert.equal(tracked.dataSync()[0], 5);
  mean.dataSync().forEach((m) => assert.ok(Math.abs(m - 3) < 0.01, `moving mean ${m}`));
  variance.dataSync().forEach((v) => assert.ok(Math.abs(v - 0.01) < 0.002, `moving variance ${v}`));
  // Inference now standardises new data from that distribution.
  const { mean: m, variance: v } = tf.moments(bn.apply(tf.randomNormal([64, 4, 4, 3], 3, 0.1, 'float32', 9), { training: false }) as tf.Tensor);
  assert.ok(Math.abs(m.dataSync()[0]) < 0.2 && Math.abs(Math.sqrt(v.dataSync()[0]) - 1) < 0.2, `inference output mean ${m.dataSync()[0]}, std ${Math.sqrt(v.dataSync()[0])}`);
  tf.dispose(batches);
});

test('batch norm: after warm-up the average is exponential with momentum 0.9', () => {
  const bn = new BatchNorm({ momentum: 0.9 });
  for (let i = 0; i < 10; i++) tf.tidy(() => { bn.apply(tf.fill([8, 2], 1), { training: true }); });
  tf.tidy(() => { bn.apply(tf.fill([8, 2], 11), { training: true }); });   // t = 10 >= 1 / (1 - 0.9): decay 0.1
  assert.ok(Math.abs(bn.getWeights()[2].dataSync()[0] - 2) < 1e-5);
});

test('batch norm without affine (PyTorch affine=False): no gamma or beta, standardises in training and inference, survives serialisation', () => {
  const bn = new BatchNorm({ momentum: 0.9, affine: false });
  const x = tf.randomNormal([32, 3], 2, 0.5, 'float32', 4);
  const y = bn.apply(x, { training: true }) as tf.Tensor;
  assert.deepEqual(bn.weights.map((w) => w.originalName.split('/').pop()), ['moving_mean', 'moving_variance', 'num_batches_tracked']);
  assert.equal(bn.trainableWeights.length, 0);
  const { mean, variance } = tf.moments(y, 0);
  assert.ok(maxDiff(mean, tf.zeros([3])) < 1e-5 && maxDiff(variance, tf.ones([3])) < 1e-3);
  const z = bn.apply(x, { training: false }) as tf.Tensor;
  assert.ok(maxDiff(z, tf.div(tf.sub(x, bn.getWeights()[0]), tf.sqrt(tf.add(bn.getWeights()[1], 1e-5)))) < 1e-5);
  assert.equal(new BatchNorm(bn.getConfig() as object).affine, false);
  tf.dispose([x, y, z, mean, variance]);
});

test('layer norm equals tf.layers.layerNormalization (without its Tile)', () => {
  const x = tf.randomNormal([2, 5, 5, 8], 1, 2, 'float32', 1);
  const ours = new LayerNorm({ epsilon: 1e-3 }), ref = tf.layers.layerNormalization({ axis: -1, epsilon: 1e-3 });
  const a = ours.apply(x) as tf.Tensor, b = ref.apply(x) as tf.Tensor;
  assert.ok(maxDiff(a, b) < 1e-5);
});

test('GELU (tanh form via sigmoid) is within 1e-3 of the exact erf GELU', () => {
  const x = tf.linspace(-6, 6, 1001);
  const d = maxDiff(new Gelu().apply(x) as tf.Tensor, tf.layers.activation({ activation: 'gelu' }).apply(x) as tf.Tensor);
  assert.ok(d < 1e-3, `max deviation ${d}`);
});

test('seeded dropout: a new mask every call, the same sequence for the same seed, identity at inference', () => {
  const x = tf.ones([1, 200]);
  const masks = (seed: number) => { const l = new SeededDropout({ rate: 0.5, seed }); return [0, 1, 2].map(() => Array.from((l.apply(x, { training: true }) as tf.Tensor).dataSync())); };
  const a = masks(1), b = masks(1), c = masks(2);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a[0], a[1]);
  assert.notDeepEqual(a[0], c[0]);
  assert.ok(a[0].every((v) => v === 0 || v === 2), 'kept units are scaled by 1 / (1 - rate)');
  assert.deepEqual(Array.from((new SeededDropout({ rate: 0.5, seed: 1 }).apply(x) as tf.Tensor).dataSync()), Array.from(x.dataSync()));
});

test('self-attention: permuting tokens permutes outputs (no position bias); the relative bias index is one-hot', () => {
  const att = new SelfAttention({ numHeads: 2, seed: 3 });
  const x = tf.randomNormal([1, 5, 8], 0, 1, 'float32', 4);
  const perm = tf.tensor1d([4, 2, 0, 1, 3], 'int32');
  const y = att.apply(x) as tf.Tensor;
  const yp = att.apply(tf.gather(x, perm, 1)) as tf.Tensor;
  assert.ok(maxDiff(tf.gather(y, perm, 1), yp) < 1e-5);
  const idx = relativePositionIndex(2, 3);
  const n = 6, t = 3 * 5;
  for (let r = 0; r < n * n; r++) assert.equal(idx.slice(r * t, (r + 1) * t).reduce((a, b) => a + b), 1);
  // Token pairs with the same offset share a bias entry: (0 -> 1) and (3 -> 4) are both one step right.
  const col = (i: number, j: number) => idx.slice((i * n + j) * t, (i * n + j + 1) * t).indexOf(1);
  assert.equal(col(0, 1), col(3, 4));
  assert.notEqual(col(0, 1), col(1, 0));
});

test('the first conv: same output and weight gradient as tf.layers.conv2d, and no input gradient computed in training', async () => {
  const args = { filters: 8, kernelSize: 3, strides: 2, padding: 'same' as const, useBias: true, kernelInitializer: 'glorotUniform' as const, activation: 'relu' as const };
  const ours = new PlainConv2D(args), theirs = tf.layers.conv2d(args);
  const x = tf.randomNormal([2, 9, 9, 1], 0, 1, 'float32', 5);
  ours.apply(x); theirs.apply(x);
  theirs.setWeights(ours.getWeights());
  assert.ok(maxDiff(ours.apply(x) as tf.Tensor, theirs.apply(x) as tf.Tensor) < 1e-6);
  const gradOf = (l: tf.layers.Layer) => tf.variableGrads(() => tf.sum(tf.square(l.apply(x) as tf.Tensor)) as tf.Scalar,
    l.trainableWeights.map((w) => w.read() as tf.Variable)).grads;
  const [g1, g2] = [gradOf(ours), gradOf(theirs)];
  assert.ok(maxDiff(Object.values(g1)[0], Object.values(g2)[0]) < 1e-4, 'kernel gradients agree');
  // A whole ResNet-18 step: the stem's input gradient (shaped like the images) is never computed.
  const model = createBackbone('resnet18', { inputShape: [32, 32, 1], classes: 3, seed: 1 });
  const images = tf.randomNormal([4, 32, 32, 1], 0, 1, 'float32', 6);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const prof = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(model.apply(images, { training: true }) as tf.Tensor)) as tf.Scalar, vars);
    tf.dispose([value, ...Object.values(grads)]);
  });
  const inputGrads = prof.kernels.filter((k) => k.name === 'Conv2DBackpropInput' && JSON.stringify(k.outputShapes[0]) === JSON.stringify([4, 32, 32, 1]));
  assert.equal(inputGrads.length, 0, 'an input gradient of the images was computed');
  assert.ok(prof.kernels.some((k) => k.name === 'Conv2DBackpropInput'), 'inner layers still get input gradients');
  model.dispose();
  tf.dispose([x, images, ...Object.values(g1), ...Object.values(g2)]);
});
