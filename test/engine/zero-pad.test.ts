// Zero padding of height and width on wasm in cellab's pad_rows kernel over
// the kernel pool's threads (engine/zero-pad.ts), and the crop that is its
// gradient (engine/slice-rows.ts, the same kernel shifted the other way): the
// same bits as tfjs-backend-wasm's PadV2 and Slice, which still take every
// other padding. Two threads, so that large tensors are cut into chunks run on
// both.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { zeroPadOverride } from '../../src/engine/zero-pad';
import { sliceRowsOverride } from '../../src/engine/slice-rows';
import { simdKernels } from '../../src/engine/simd-kernels';
import { originalKernelData } from './fixtures/original-kernel';

before(async () => { await initEngine({ backend: 'wasm', threads: 2, log: null }); });

type Pads = [number, number][];

const tfjsPad = (x: tf.Tensor, paddings: Pads, constantValue = 0) => originalKernelData(zeroPadOverride, { x }, { paddings, constantValue });

test('zero padding of height and width gives tfjs\' values, symmetric or not, any channel count, small and chunked', () => {
  assert.ok(simdKernels(), 'cellab\'s SIMD kernels did not load');
  const before = zeroPadOverride.calls();
  const cases: [number[], Pads][] = [
    [[2, 5, 6, 3], [[0, 0], [1, 1], [1, 1], [0, 0]]],
    [[3, 4, 4, 1], [[0, 0], [3, 2], [0, 4], [0, 0]]],
    [[1, 3, 7, 5], [[0, 0], [0, 0], [2, 0], [0, 0]]],
    // resnet18's stem pool at width 0.25, 64 px: ~2.4 MB out, many chunks.
    [[32, 32, 32, 16], [[0, 0], [1, 1], [1, 1], [0, 0]]],
  ];
  for (const [shape, pads] of cases) {
    const x = tf.randomNormal(shape, 0, 1, 'float32', shape[1]);
    const got = tf.pad(x, pads);
    assert.deepEqual(got.shape, shape.map((d, i) => d + pads[i][0] + pads[i][1]));
    assert.deepEqual(got.dataSync(), tfjsPad(x, pads), `shape ${shape}, paddings ${JSON.stringify(pads)}`);
    tf.dispose([x, got]);
  }
  assert.equal(zeroPadOverride.calls().own - before.own, cases.length, 'every case ran in cellab\'s kernel');
});

test('a constant other than 0, padded batch or channel axes, and other ranks go to tfjs\' kernel', () => {
  const before = zeroPadOverride.calls();
  const x = tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 9);
  const other: [tf.Tensor, Pads, number][] = [
    [x, [[0, 0], [1, 1], [1, 1], [0, 0]], 2.5],
    [x, [[1, 0], [1, 1], [1, 1], [0, 0]], 0],
    [x, [[0, 0], [1, 1], [1, 1], [0, 2]], 0],
    [tf.reshape(x, [6, 3, 4]), [[0, 0], [1, 1], [0, 0]], 0],
  ];
  for (const [t, pads, c] of other) assert.deepEqual(tf.pad(t, pads, c).dataSync(), tfjsPad(t, pads, c), `paddings ${JSON.stringify(pads)}, constant ${c}`);
  assert.equal(zeroPadOverride.calls().own, before.own);
  assert.equal(zeroPadOverride.calls().tfjs - before.tfjs, other.length);
  x.dispose();
});

test('the gradient of a zero padding is dy inside the padding (a crop in the same kernel), chunked over both threads', () => {
  const before = sliceRowsOverride.calls();
  const x = tf.randomNormal([32, 32, 32, 16], 0, 1, 'float32', 2);
  const dy = tf.randomNormal([32, 34, 35, 16], 0, 1, 'float32', 3);
  const g = tf.grad((v: tf.Tensor) => tf.pad(v, [[0, 0], [1, 1], [2, 1], [0, 0]]))(x, dy);
  assert.deepEqual(g.dataSync(), originalKernelData(sliceRowsOverride, { x: dy }, { begin: [0, 1, 2, 0], size: [32, 32, 32, 16] }));
  // A crop that starts past the first image.
  const part = tf.slice(dy, [5, 2, 3, 0], [7, 30, 31, 16]);
  assert.deepEqual(part.dataSync(), originalKernelData(sliceRowsOverride, { x: dy }, { begin: [5, 2, 3, 0], size: [7, 30, 31, 16] }));
  assert.equal(sliceRowsOverride.calls().own - before.own, 2);
  tf.dispose([x, dy, g, part]);
});
