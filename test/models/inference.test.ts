// The folded inference forward (src/models/inference.ts) against
// model.predict, for every registered backbone: batch norms with random
// statistics and affine weights (so a wrong fold shows), outputs equal to
// float rounding; the weights re-folded after they change; no batch-norm
// kernel left in a resnet18 pass.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { createBackbone, listBackbones, inferenceFunction, layers, type InferenceFunction } from '../../src/models/index';
import { simdKernels } from '../../src/engine/simd-kernels';
import { mlpHead } from '../../src/models/ssl-heads';

before(async () => { await initEngine({ backend: 'wasm', log: null }); });

/** Every batch norm's gamma, beta, moving mean and variance set to random values (seeded). */
function randomiseNorms(model: tf.LayersModel, seed: number): void {
  let k = seed;
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'CellabBatchNorm') continue;
    layer.setWeights(layer.weights.map((w) => {
      const shape = w.shape as number[];
      const n = w.originalName;
      k++;
      if (n.endsWith('moving_variance')) return tf.randomUniform(shape, 0.3, 2, 'float32', k);
      if (n.endsWith('gamma')) return tf.randomUniform(shape, 0.5, 1.5, 'float32', k);
      if (n.endsWith('num_batches_tracked')) return w.read().clone();
      return tf.randomNormal(shape, 0, 0.3, 'float32', k);
    }));
  }
}

/** max |a - b| / max |b|. */
function relativeError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / Math.max(1e-12, tf.max(tf.abs(b)).dataSync()[0]));
}

function check(model: tf.LayersModel, x: tf.Tensor, label: string, given?: InferenceFunction): string[][] {
  const f = given ?? inferenceFunction(model);
  try {
    const want = model.predict(x) as tf.Tensor;
    const got = f.predict(x);
    assert.deepEqual(got.shape, want.shape, `${label}: output shape`);
    const err = relativeError(got, want);
    assert.ok(err <= 1e-4, `${label}: folded forward differs from model.predict by ${err.toExponential(2)} (relative)`);
    tf.dispose([want, got]);
    return f.fused;
  } finally {
    if (!given) f.dispose();
  }
}

// Backbones built from conv -> batch norm patterns: each must fold (a registry entry that stops folding is slower, silently).
const MUST_FOLD = ['resnet18', 'resnet50', 'mobilenetv2', 'efficientnet-b0', 'googlenet'];

for (const info of listBackbones()) {
  test(`backbone ${info.name}: folded inference forward equals model.predict`, () => {
    const size = Math.max(32, info.minInputSize);
    const model = createBackbone(info.name, { inputShape: [size, size, 3], classes: 5, width: 0.125, seed: 3 });
    const x = tf.randomNormal([3, size, size, 3], 0, 1, 'float32', 7);
    try {
      randomiseNorms(model, 11);
      const fused = check(model, x, info.name);
      if (MUST_FOLD.includes(info.name)) assert.ok(fused.length > 0, `${info.name}: no batch norm folded`);
    } finally {
      model.dispose();
      x.dispose();
    }
  });
}

test('one inference function re-folds after the weights change (never stale)', () => {
  const model = createBackbone('resnet18', { inputShape: [32, 32, 1], classes: 4, width: 0.125, seed: 1 });
  const x = tf.randomNormal([2, 32, 32, 1], 0, 1, 'float32', 5);
  const f = inferenceFunction(model);
  try {
    randomiseNorms(model, 1);
    const first = f.predict(x);
    randomiseNorms(model, 100);   // as a training epoch would move them, after the function folded once
    const want = model.predict(x) as tf.Tensor;
    const got = f.predict(x);
    assert.ok(relativeError(first, want) > 1e-2, 'the weight change should change the outputs');
    assert.ok(relativeError(got, want) <= 1e-4, `stale folded weights: ${relativeError(got, want)}`);
    tf.dispose([first, want, got]);
  } finally {
    f.dispose();
    model.dispose();
    x.dispose();
  }
});

test('a resnet18 pass runs conv + batch norm + ReLU as one fused convolution, add + ReLU and pad + max pool as one op each: under half the kernels', async () => {
  const model = createBackbone('resnet18', { inputShape: [32, 32, 1], classes: 4, width: 0.125, seed: 1 });
  const x = tf.randomNormal([2, 32, 32, 1], 0, 1, 'float32', 5);
  const f = inferenceFunction(model);
  try {
    // Reshapes only relabel a tensor (no copy on wasm): not counted.
    const names = async (run: () => tf.Tensor) => (await tf.profile(() => { run().dispose(); })).kernels.map((k) => k.name).filter((n) => !n.endsWith('__op') && n !== 'Reshape');
    f.predict(x).dispose();   // folds the weights (once)
    const plain = await names(() => model.predict(x) as tf.Tensor);
    const folded = await names(() => f.predict(x));
    assert.equal(folded.filter((n) => n === 'FusedBatchNorm').length, 0, `kernels: ${folded.join(', ')}`);
    assert.equal(plain.filter((n) => n === 'FusedBatchNorm').length, 20);
    // The 8 ReLUs left are the ones after each block's residual add (which no longer clones its input first).
    assert.equal(folded.filter((n) => n === 'Relu').length, 8, `kernels: ${folded.join(', ')}`);
    assert.equal(folded.filter((n) => n === 'Identity').length, 0, `kernels: ${folded.join(', ')}`);
    // The stem's max pool pads inside the pool op (its input is a ReLU's, >= 0).
    assert.equal(folded.filter((n) => n === 'PadV2').length, 0, `kernels: ${folded.join(', ')}`);
    assert.equal(f.fused.filter((g) => g.some((n) => n.endsWith('_bn'))).length, 20);
    assert.deepEqual(f.fused[0], ['stem_conv', 'stem_bn', 'stem_act']);
    assert.deepEqual(f.fused[1], ['stem_pool_pad', 'stem_pool']);
    assert.ok(f.fused.some((g) => g.join() === 'stage1_block1_add,stage1_block1_out'), f.fused.map((g) => g.join('+')).join(' '));
    assert.ok(folded.length < plain.length * 0.5, `${folded.length} kernels folded vs ${plain.length} unfolded`);
  } finally {
    f.dispose();
    model.dispose();
    x.dispose();
  }
});

// Maps smaller than the kernel run as one matrix product (denseConv): every padding and stride it handles.
for (const [label, args, hw] of [
  ['3x3 same, stride 1, 2x2 map', { kernelSize: 3, strides: 1, padding: 'same' }, [2, 2]],
  ['3x3 same, stride 2, 2x2 map (TF pads after)', { kernelSize: 3, strides: 2, padding: 'same' }, [2, 2]],
  ['3x3 padded 1 on every side, stride 2, 2x3 map (PlainConv2D)', { kernelSize: 3, strides: 2, padding: 'valid', symmetricPad: 1 }, [2, 3]],
  ['5x3 same, stride 1, 1x2 map', { kernelSize: [5, 3], strides: 1, padding: 'same' }, [1, 2]],
  ['3x3 with bias and ReLU inside, 2x2 map', { kernelSize: 3, strides: 1, padding: 'same', useBias: true, activation: 'relu' }, [2, 2]],
] as const) {
  test(`a convolution on a map smaller than its kernel (${label}) runs as a matrix product equal to the layer`, () => {
    const input = tf.input({ shape: [hw[0], hw[1], 6] });
    const convArgs = { name: 'conv', filters: 5, useBias: false, kernelInitializer: tf.initializers.randomNormal({ seed: 1 }), ...args } as ConstructorParameters<typeof layers.PlainConv2D>[0];
    let y = ('symmetricPad' in args ? new layers.PlainConv2D(convArgs) : tf.layers.conv2d(convArgs)).apply(input) as tf.SymbolicTensor;
    if (!('activation' in args)) y = new layers.BatchNorm({ name: 'bn' }).apply(y) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: y });
    const x = tf.randomNormal([3, hw[0], hw[1], 6], 0, 1, 'float32', 2);
    const f = inferenceFunction(model, { denseSmallMaps: true });
    try {
      randomiseNorms(model, 5);
      check(model, x, label, f);
      assert.deepEqual(f.dense, ['conv']);
      // By default cellab's SIMD convolution takes these maps itself (it skips the taps outside the map).
      const byDefault = inferenceFunction(model);
      try {
        assert.deepEqual(byDefault.dense, simdKernels() ? [] : ['conv']);
        check(model, x, `${label} (default)`, byDefault);
      } finally {
        byDefault.dispose();
      }
    } finally {
      f.dispose();
      model.dispose();
      x.dispose();
    }
  });
}

test('an input of the wrong size is refused with the shape the model expects', () => {
  const model = createBackbone('small-cnn', { inputShape: [16, 16, 1], classes: 3, seed: 1 });
  const f = inferenceFunction(model);
  const x = tf.zeros([2, 20, 16, 1]);
  try {
    assert.throws(() => f.predict(x), /input 0 has shape \[2, 20, 16, 1\], the model expects \[batch, 16, 16, 1\]/);
  } finally {
    tf.dispose(x);
    f.dispose();
    model.dispose();
  }
});

test('an SSL projector (dense -> batch norm, not folded) runs as model.predict does', () => {
  const head = mlpHead({ name: 'proj', inputDim: 8, hiddenDim: 16, outDim: 4, layers: 3, outputNorm: 'plain', seed: 1 });
  const x = tf.randomNormal([5, 8], 0, 1, 'float32', 3);
  try {
    randomiseNorms(head, 7);
    assert.deepEqual(check(head, x, 'mlp head'), []);
  } finally {
    head.dispose();
    x.dispose();
  }
});
