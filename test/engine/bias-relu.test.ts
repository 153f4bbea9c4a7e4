// relu(x + bias) as one op equals tfjs' add + relu in value and in both
// gradients: on wasm through cellab's SIMD kernels, on cpu through tf ops.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { biasRelu } from '../../src/engine/bias-relu';
import { simdKernels } from '../../src/engine/simd-kernels';

before(async () => { await initEngine({ backend: 'wasm', log: null }); });

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

for (const backend of ['wasm', 'cpu'] as const) {
  test(`biasRelu matches relu(add) and its gradients on ${backend} (channels 8 and 6: vectors and a tail)`, async () => {
    await tf.setBackend(backend);
    if (backend === 'wasm') assert.ok(simdKernels(), 'the SIMD kernels run here');
    for (const c of [8, 6]) {
      tf.tidy(() => {
        const x = tf.randomNormal([3, 5, 7, c], 0, 1, 'float32', c);
        const b = tf.randomNormal([c], 0, 0.5, 'float32', c + 1);
        const w = tf.randomNormal([3, 5, 7, c], 0, 1, 'float32', c + 2);   // a weighting so gradients differ per element
        const loss = (f: (x: tf.Tensor, b: tf.Tensor1D) => tf.Tensor) => (xx: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(f(xx, bb as tf.Tensor1D), w));
        const ours = biasRelu(x, b as tf.Tensor1D), ref = tf.relu(tf.add(x, b));
        assert.ok(maxDiff(ours, ref) < 1e-6, `${backend} c=${c}: values`);
        const [gx, gb] = tf.grads(loss(biasRelu))([x, b]);
        const [rx, rb] = tf.grads(loss((xx, bb) => tf.relu(tf.add(xx, bb))))([x, b]);
        assert.ok(maxDiff(gx, rx) < 1e-6, `${backend} c=${c}: d/dx`);
        assert.ok(maxDiff(gb, rb) < 1e-4, `${backend} c=${c}: d/dbias ${gb.dataSync()} vs ${rb.dataSync()}`);
        assert.ok(tf.sum(tf.abs(rb)).dataSync()[0] > 0.1, 'the bias gradient is not trivially zero');
      });
    }
    await tf.setBackend('wasm');
  });
}
