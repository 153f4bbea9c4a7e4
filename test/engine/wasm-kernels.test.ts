// The wasm backend must train: its registered gradient kernels must agree with
// the reference cpu backend and must not leak tensors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { batchNormTrain } from '../../src/engine/batch-norm-train';

type Kind = 'conv2d' | 'depthwise';

async function gradients(backend: 'cpu' | 'wasm', kind: Kind, xShape: [number, number, number, number], fShape: [number, number, number, number],
  stride: number, pad: 'same' | 'valid' | number): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const x = tf.randomNormal(xShape, 0, 1, 'float32', 1) as tf.Tensor4D;
    const f = tf.randomNormal(fShape, 0, 1, 'float32', 2) as tf.Tensor4D;
    const loss = (xx: tf.Tensor, ff: tf.Tensor) => {
      const y = kind === 'conv2d'
        ? tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, stride, pad)
        : tf.depthwiseConv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, stride, pad);
      // A random projection so every output position carries a distinct weight.
      return tf.sum(tf.mul(y, tf.randomNormal(y.shape, 0, 1, 'float32', 3)));
    };
    return tf.grads(loss)([x, f]).map((g) => g.dataSync() as Float32Array);
  });
}

function relError(ref: Float32Array, got: Float32Array): number {
  assert.equal(got.length, ref.length);
  let num = 0, den = 0;
  for (let i = 0; i < ref.length; i++) {
    num = Math.max(num, Math.abs(ref[i] - got[i]));
    den = Math.max(den, Math.abs(ref[i]));
  }
  return num / (den || 1);
}

test('wasm gradient kernels match the cpu backend (rel. error <= 1e-4)', async () => {
  await initEngine({ backend: 'wasm', log: null });
  const cases: string[] = [];
  let worst = 0;
  for (const kind of ['conv2d', 'depthwise'] as Kind[]) {
    for (const k of [1, 2, 3, 5, 7]) {
      for (const stride of [1, 2, 3]) {
        for (const pad of ['same', 'valid', 2] as const) {
          for (const size of [8, 9]) {                 // even and odd spatial sizes
            // conv2d filter gradients: the SIMD kernel when the outputs are a multiple of 4 (4;
            // 20 = 16 + 4 in two groups; 5 inputs = a group of 4 taps and a partial one), else the
            // matrix product (up to 3 inputs) or the convolution form (more inputs);
            // depthwise: channel multipliers 1 and 2.
            // Input gradients: the SIMD gather for 4k input channels (4, 20 = 16 + 4) when strided or
            // at most 8 wide, else stride phases of XNNPACK convolutions.
            for (const [cin, mult] of kind === 'depthwise' ? [[3, 1], [3, 2]] : [[1, 4], [3, 20], [5, 4], [2, 6], [5, 6], [4, 8], [20, 4]]) {
              const xShape: [number, number, number, number] = [2, size, size + 1, cin];
              const fShape: [number, number, number, number] = [k, k, cin, mult];
              const ref = await gradients('cpu', kind, xShape, fShape, stride, pad);
              const got = await gradients('wasm', kind, xShape, fShape, stride, pad);
              ['dx', 'dfilter'].forEach((name, i) => {
                const e = relError(ref[i], got[i]);
                worst = Math.max(worst, e);
                if (!(e <= 1e-4)) cases.push(`${kind} k=${k} s=${stride} ${pad} ${size}px in=${cin} m=${mult} ${name}: ${e}`);
              });
            }
          }
        }
      }
    }
  }
  await tf.setBackend('wasm');
  assert.deepEqual(cases, [], `worst relative error ${worst}`);
});

test('training on wasm keeps tf.memory().numTensors flat over 50 steps', async () => {
  await initEngine({ backend: 'wasm', log: null });
  await tf.setBackend('wasm');
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [16, 16, 1], filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
      tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same' }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 3, activation: 'softmax' }),
    ],
  });
  const opt = tf.train.adam(0.01);
  const x = tf.randomNormal([8, 16, 16, 1], 0, 1, 'float32', 5);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), 3);
  const step = () => tf.tidy(() => opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x) as tf.Tensor) as tf.Scalar, true)!.dataSync()[0]);
  const first = step();
  step();
  const before = tf.memory().numTensors;
  let last = first;
  for (let i = 0; i < 50; i++) last = step();
  assert.equal(tf.memory().numTensors, before, 'tensors leaked during training steps');
  assert.ok(last < first, `loss did not decrease: ${first} -> ${last}`);
  tf.dispose([x, y]);
  model.dispose();
});

test('batch-norm gradients (no Tile) match autodiff of the written-out formula, on cpu and wasm', async () => {
  await initEngine({ backend: 'wasm', log: null });
  const eps = 1e-3;
  const problems: string[] = [];
  for (const backend of ['cpu', 'wasm'] as const) {
    await tf.setBackend(backend);
    for (const paramShape of [[5], [1, 1, 1, 5]]) {
      const [fused, written] = tf.tidy(() => {
        const x = tf.randomNormal([3, 4, 6, 5], 1, 2, 'float32', 11);
        const mean = tf.randomNormal(paramShape, 0.5, 1, 'float32', 12);
        const variance = tf.add(tf.randomUniform(paramShape, 0, 1, 'float32', 13), 0.2);
        const offset = tf.randomNormal(paramShape, 0, 1, 'float32', 14);
        const scale = tf.randomNormal(paramShape, 1, 0.5, 'float32', 15);
        const r = tf.randomNormal(x.shape, 0, 1, 'float32', 16);
        const args = [x, mean, variance, offset, scale];
        const viaKernel = tf.grads((a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, o: tf.Tensor, s: tf.Tensor) =>
          tf.sum(tf.mul(r, tf.batchNorm(a, m, v, o, s, eps))))(args);
        const viaFormula = tf.grads((a: tf.Tensor, m: tf.Tensor, v: tf.Tensor, o: tf.Tensor, s: tf.Tensor) =>
          tf.sum(tf.mul(r, tf.add(tf.mul(tf.mul(tf.sub(a, m), tf.rsqrt(tf.add(v, eps))), s), o))))(args);
        return [viaKernel.map((g) => g.dataSync() as Float32Array), viaFormula.map((g) => g.dataSync() as Float32Array)];
      });
      ['x', 'mean', 'variance', 'offset', 'scale'].forEach((name, i) => {
        const e = relError(written[i], fused[i]);
        if (!(e <= 1e-4)) problems.push(`${backend} params ${paramShape}: d${name} rel. error ${e}`);
      });
    }
  }
  await tf.setBackend('wasm');
  assert.deepEqual(problems, []);
});

test('the batch-norm gradient broadcasts without Tile', async () => {
  await initEngine({ backend: 'wasm', log: null });
  await tf.setBackend('wasm');
  const x = tf.randomNormal([4, 8, 8, 4], 0, 1, 'float32', 21);
  const [mean, variance, offset, scale] = [tf.zeros([4]), tf.ones([4]), tf.zeros([4]), tf.ones([4])];
  const info = await tf.profile(() => {
    const grads = tf.grads((a: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => tf.sum(tf.square(tf.batchNorm(a, mean, variance, o, s))))([x, scale, offset]);
    tf.dispose(grads);
  });
  const names = new Set(info.kernels.map((k) => k.name));
  assert.ok(names.has('FusedBatchNorm'), `FusedBatchNorm did not run: ${[...names].join(', ')}`);
  assert.ok(!names.has('Tile'), `Tile ran in the gradient: ${[...names].join(', ')}`);
  tf.dispose([x, mean, variance, offset, scale]);
});

test('max-pool gradients match the cpu backend, ties included', async () => {
  await initEngine({ backend: 'wasm', log: null });
  const grad = async (backend: 'cpu' | 'wasm', size: number, pool: number, stride: number, pad: 'same' | 'valid', channels: number) => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      // Rounded values: many windows hold equal maxima (as after a ReLU); the first one gets the gradient.
      const x = tf.round(tf.relu(tf.randomNormal([2, size, size + 1, channels], 0, 2, 'float32', 31)));
      const r = tf.randomNormal(tf.maxPool(x as tf.Tensor4D, pool, stride, pad).shape, 0, 1, 'float32', 32);
      return tf.grad((a: tf.Tensor) => tf.sum(tf.mul(r, tf.maxPool(a as tf.Tensor4D, pool, stride, pad))))(x).dataSync() as Float32Array;
    });
  };
  const problems: string[] = [];
  for (const pool of [2, 3]) {
    for (const stride of [1, 2, 3]) {
      for (const pad of ['same', 'valid'] as const) {
        for (const size of [7, 8]) {
          // 3 channels: scalar loops; 6: four at a time plus a tail (the SIMD 2x2 kernel); 8: the SIMD
          // kernels for any window (channels a multiple of 4).
          for (const channels of [3, 6, 8]) {
            const ref = await grad('cpu', size, pool, stride, pad, channels);
            const got = await grad('wasm', size, pool, stride, pad, channels);
            const e = relError(ref, got);
            if (!(e <= 1e-6)) problems.push(`pool ${pool} stride ${stride} ${pad} ${size}px ${channels} channels: rel. error ${e}`);
          }
        }
      }
    }
  }
  await tf.setBackend('wasm');
  assert.deepEqual(problems, []);
});

test('sum and mean over leading axes (the fast path) and other axes match the cpu backend', async () => {
  await initEngine({ backend: 'wasm', log: null });
  const cases: [number | number[], boolean][] = [[[0, 1, 2], false], [[0, 1, 2], true], [[2, 0, 1], false], [0, true], [[-4, -3], false],
    [[1, 2], false], [3, true], [[0, 1, 2, 3], false]];
  const problems: string[] = [];
  for (const op of ['sum', 'mean'] as const) {
    for (const [axis, keepDims] of cases) {
      const run = async (backend: 'cpu' | 'wasm') => {
        await tf.setBackend(backend);
        return tf.tidy(() => {
          const r = tf[op](tf.randomNormal([3, 5, 4, 7], 2, 3, 'float32', 41), axis, keepDims);
          return { shape: r.shape, values: r.dataSync() as Float32Array };
        });
      };
      const ref = await run('cpu');
      const got = await run('wasm');
      if (JSON.stringify(ref.shape) !== JSON.stringify(got.shape)) problems.push(`${op} ${axis} keepDims=${keepDims}: shape ${got.shape} vs ${ref.shape}`);
      else if (!(relError(ref.values, got.values) <= 1e-5)) problems.push(`${op} ${axis} keepDims=${keepDims}: rel. error ${relError(ref.values, got.values)}`);
    }
  }
  await tf.setBackend('wasm');
  assert.equal(tf.tidy(() => tf.sum(tf.tensor2d([[1, 2], [3, 4]], [2, 2], 'int32'), 0).dtype), 'int32', 'int32 sums keep their dtype');
  assert.deepEqual(problems, []);
});

test('batchNormTrain (one op, closed-form gradient) matches autodiff of moments + batchNorm', async () => {
  await initEngine({ backend: 'wasm', log: null });
  const eps = 1e-5;
  const run = async (backend: 'cpu' | 'wasm', fused: boolean) => {
    await tf.setBackend(backend);
    return tf.tidy(() => {
      const x = tf.randomNormal([4, 5, 3, 6], 3, 2, 'float32', 51);
      const gamma = tf.randomNormal([6], 1, 0.3, 'float32', 52) as tf.Tensor1D;
      const beta = tf.randomNormal([6], 0, 1, 'float32', 53) as tf.Tensor1D;
      const r = tf.randomNormal(x.shape, 0, 1, 'float32', 54);
      let stats: tf.Tensor[] = [];
      const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        if (fused) {
          const out = batchNormTrain(a, g as tf.Tensor1D, b as tf.Tensor1D, eps);
          stats = [out.mean, out.variance];
          return tf.sum(tf.mul(r, out.y));
        }
        const m = tf.moments(a, [0, 1, 2]);
        stats = [tf.keep(tf.clone(m.mean)), tf.keep(tf.clone(m.variance))];
        return tf.sum(tf.mul(r, tf.batchNorm(a, m.mean, m.variance, b, g, eps)));
      };
      const { value, grads } = tf.valueAndGrads(f)([x, gamma, beta]);
      const out = [value, ...grads, ...stats].map((t) => t.dataSync() as Float32Array);
      tf.dispose(stats);
      return out;
    });
  };
  const problems: string[] = [];
  const ref = await run('cpu', false);
  for (const [backend, fused] of [['cpu', true], ['wasm', true], ['wasm', false]] as const) {
    const got = await run(backend, fused);
    ['loss', 'dx', 'dgamma', 'dbeta', 'mean', 'variance'].forEach((name, i) => {
      const e = relError(ref[i], got[i]);
      if (!(e <= 1e-4)) problems.push(`${backend}${fused ? ' batchNormTrain' : ''} ${name}: rel. error ${e}`);
    });
  }
  await tf.setBackend('wasm');
  assert.deepEqual(problems, []);
});

test('tile (JS on wasm) matches the cpu backend for any shape, reps and dtype', async () => {
  await initEngine({ backend: 'wasm', log: null });
  const cases: [number[], number[], 'float32' | 'int32' | 'bool'][] = [
    [[1, 1, 1, 5], [3, 4, 2, 1], 'float32'], [[2, 3], [3, 2], 'float32'], [[4], [5], 'int32'], [[2, 1, 3], [1, 4, 2], 'int32'],
    [[3, 2], [1, 1], 'float32'], [[2, 2], [2, 3], 'bool'], [[1, 2, 1, 2, 1], [2, 1, 3, 1, 2], 'float32'], [[2, 3], [0, 2], 'float32'],
  ];
  const problems: string[] = [];
  for (const [shape, reps, dtype] of cases) {
    const run = async (backend: 'cpu' | 'wasm') => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const n = shape.reduce((a, b) => a * b, 1);
        const x = tf.tensor(Array.from({ length: n }, (_, i) => (dtype === 'bool' ? i % 2 : i * 1.5 - 3)), shape, dtype);
        const t = tf.tile(x, reps);
        return { shape: t.shape, values: Array.from(t.dataSync()) };
      });
    };
    const [ref, got] = [await run('cpu'), await run('wasm')];
    if (JSON.stringify(ref) !== JSON.stringify(got)) problems.push(`tile [${shape}] x [${reps}] ${dtype}`);
  }
  await tf.setBackend('wasm');
  assert.deepEqual(problems, []);
});

test('the gradient of mean is dy / n broadcast over the reduced axes', async () => {
  await initEngine({ backend: 'wasm', log: null });
  for (const backend of ['cpu', 'wasm'] as const) {
    await tf.setBackend(backend);
    const [g, gKeep] = tf.tidy(() => {
      const x = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 61);
      const r = tf.tensor1d([1, -2, 3, 0.5]);
      return [
        tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.mean(a, [0, 1]), r)))(x).arraySync() as number[][][],
        tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.mean(a, -1, true), tf.ones([2, 3, 1]))))(x).arraySync() as number[][][],
      ];
    });
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) {
      assert.ok(Math.abs(g[i][j][k] - [1, -2, 3, 0.5][k] / 6) < 1e-6, `${backend}: d mean over [0,1] at ${i},${j},${k}: ${g[i][j][k]}`);
      assert.ok(Math.abs(gKeep[i][j][k] - 1 / 4) < 1e-6, `${backend}: d mean over -1 (keepDims) at ${i},${j},${k}: ${gKeep[i][j][k]}`);
    }
  }
  await tf.setBackend('wasm');
});
