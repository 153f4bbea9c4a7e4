// Gradient accumulation over micro-batches gives the whole batch's mean loss
// and gradients (a net without batch norm: exact up to float rounding), and
// `fit` with train.microBatch trains: the loss falls and the weights match a
// whole-batch run of the same net.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { accumulatedGrads } from '../../src/train/micro-batch';

before(async () => { await initEngine({ backend: 'wasm', log: null }); });

function net(seed: number): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed }) }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }));
  return m;
}

test('micro-batches of 4, 3 and 1 give the loss and gradients of the whole batch of 10', () => {
  const m = net(1);
  const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
  const x = tf.randomNormal([10, 8, 8, 1], 0, 1, 'float32', 2);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1, 2, 0], 'int32'), 3);
  const loss = (s: number, c: number) => tf.losses.softmaxCrossEntropy(y.slice(s, c), m.apply(x.slice(s, c)) as tf.Tensor) as tf.Scalar;
  const whole = accumulatedGrads(10, null, loss, vars);
  for (const size of [4, 3, 1]) {
    const parts = accumulatedGrads(10, size, loss, vars);
    assert.ok(Math.abs(parts.value.dataSync()[0] - whole.value.dataSync()[0]) < 1e-6, `loss at micro-batch ${size}`);
    for (const k of Object.keys(whole.grads)) {
      const d = tf.tidy(() => tf.max(tf.abs(tf.sub(parts.grads[k], whole.grads[k]))).dataSync()[0]);
      const scale = tf.tidy(() => tf.max(tf.abs(whole.grads[k])).dataSync()[0]);
      assert.ok(scale > 1e-4 && d <= 1e-5 * Math.max(1, scale), `${k} at micro-batch ${size}: ${d} (scale ${scale})`);
    }
    tf.dispose([parts.value, ...Object.values(parts.grads)]);
  }
  const before = tf.memory().numTensors;
  const again = accumulatedGrads(10, 3, loss, vars);
  tf.dispose([again.value, ...Object.values(again.grads)]);
  assert.equal(tf.memory().numTensors, before, 'no tensor is left behind');
});

test('fit with train.microBatch 3 trains the batch-8 net to the same weights and accuracy as whole batches', async () => {
  const { fit } = await import('../../src/train/loop');
  const { validate } = await import('../../src/engine/schema');
  const { trainSchema } = await import('../../src/train/schema');
  const { toySource } = await import('./toy-data');
  const train = toySource(24, 1);
  const run = async (microBatch: number | null) => {
    const problems: string[] = [];
    const cfg = validate(trainSchema, { epochs: 2, lr: 0.05, batchSize: 8, optimizer: 'sgd', momentum: 0, restoreBest: false, microBatch }, 'train', problems) as never;
    assert.deepEqual(problems, []);
    const m = tf.sequential();
    m.add(tf.layers.conv2d({ inputShape: [16, 16, 1], filters: 4, kernelSize: 3, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }));
    const sizes = new Set<number>();
    const apply = m.apply.bind(m);
    m.apply = ((x: tf.Tensor, kw?: never) => { sizes.add(x.shape[0]!); return apply(x, kw); }) as typeof m.apply;
    const r = await fit(m, train, undefined, cfg);
    const w = Float32Array.from(m.trainableWeights.flatMap((v) => Array.from(v.read().dataSync())));
    m.dispose();
    return { w, history: r.history, sizes: [...sizes].sort() };
  };
  const whole = await run(null), parts = await run(3);
  assert.deepEqual(whole.sizes, [8]);
  assert.deepEqual(parts.sizes, [2, 3], 'batches of 8 run as 3 + 3 + 2');
  const last = (h: typeof whole.history) => h[h.length - 1];
  assert.ok(last(whole.history)['train/loss'] < whole.history[0]['train/loss'], 'the loss falls');
  assert.equal(last(parts.history)['train/accuracy'], last(whole.history)['train/accuracy']);
  assert.ok(Math.abs(last(parts.history)['train/loss'] - last(whole.history)['train/loss']) < 1e-5);
  const d = whole.w.reduce((m, v, i) => Math.max(m, Math.abs(v - parts.w[i])), 0);
  assert.ok(d < 1e-5, `weights differ by ${d}`);
});
