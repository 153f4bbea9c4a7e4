// Add on wasm over the kernel pool's threads (engine/pooled-add.ts): the same
// bits as tfjs-backend-wasm's (XNNPACK's) kernel for same-shape sums, tails
// past the last vector and tensors cut into many chunks included; broadcasting
// and int32 sums left to tfjs. Two threads (it runs here only then).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { addOverride } from '../../src/engine/pooled-add';
import { simdKernels } from '../../src/engine/simd-kernels';
import { originalKernelData } from './fixtures/original-kernel';

before(async () => { await initEngine({ backend: 'wasm', threads: 2, log: null }); });


test('same-shape sums give tfjs\' bits (tails and many chunks); broadcasting sums go to tfjs\' kernel', () => {
  assert.equal(simdKernels()?.threads, 2);
  const before = addOverride.calls();
  for (const shape of [[3], [5, 7], [2, 9, 9, 13], [32, 16, 16, 32]]) {
    const a = tf.randomNormal(shape, 0, 3, 'float32', 1), b = tf.randomNormal(shape, 1, 2, 'float32', 2);
    assert.deepEqual(tf.add(a, b).dataSync(), originalKernelData(addOverride, { a, b }), `shape ${shape}`);
    tf.dispose([a, b]);
  }
  assert.equal(addOverride.calls().own - before.own, 4);
  const m = tf.randomNormal([4, 6], 0, 1, 'float32', 3), row = tf.randomNormal([6], 0, 1, 'float32', 4);
  assert.deepEqual(tf.add(m, row).dataSync(), originalKernelData(addOverride, { a: m, b: row }));
  assert.deepEqual(tf.add(tf.tensor1d([1, 2], 'int32'), tf.tensor1d([3, 4], 'int32')).dataSync(), new Int32Array([4, 6]));
  assert.equal(addOverride.calls().own - before.own, 4, 'the broadcast and int32 sums ran in tfjs\' kernel');
  tf.dispose([m, row]);
});

test('a residual block trains through the pooled sum with tfjs\' gradients', () => {
  // add's gradient passes dy through to both inputs: one step of a tiny residual block.
  const x = tf.randomNormal([4, 6], 0, 1, 'float32', 7), w = tf.variable(tf.randomNormal([6, 6], 0, 0.5, 'float32', 8));
  const f = () => tf.sum(tf.relu(tf.add(tf.matMul(x, w), x))) as tf.Scalar;
  const before = addOverride.calls();
  const { grads } = tf.variableGrads(f, [w]);
  assert.equal(addOverride.calls().own - before.own, 1);
  const mask = tf.cast(tf.greater(tf.add(tf.matMul(x, w), x), 0), 'float32');
  const want = tf.matMul(x, mask, true, false);
  assert.deepEqual(grads[w.name].dataSync(), want.dataSync());
  tf.dispose([x, w, grads[w.name], mask, want]);
});
