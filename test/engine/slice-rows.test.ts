// Slice on wasm, row by row for 4-D boxes that keep the last axis
// (engine/slice-rows.ts): the same values as tfjs' kernel (which still takes
// every other slice), including the gradient of a zero padding.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { sliceRowsOverride } from '../../src/engine/slice-rows';
import { originalKernelData } from './fixtures/original-kernel';

before(async () => { await initEngine({ backend: 'wasm', threads: 1, log: null }); });

const tfjsSlice = (x: tf.Tensor, begin: number[], size: number[]) => originalKernelData(sliceRowsOverride, { x }, { begin, size });

test('4-D crops keeping the channels run row by row with tfjs\' values; other slices go to tfjs', () => {
  const before = sliceRowsOverride.calls();
  const x = tf.randomNormal([3, 7, 6, 5], 0, 1, 'float32', 1);
  const own: [number[], number[]][] = [[[0, 1, 1, 0], [3, 5, 4, 5]], [[1, 0, 2, 0], [2, 7, 3, -1]], [[2, 5, 0, 0], [1, 2, 5, 5]]];
  for (const [begin, size] of own) assert.deepEqual(tf.slice(x, begin, size).dataSync(), tfjsSlice(x, begin, size), `begin ${begin}, size ${size}`);
  assert.equal(sliceRowsOverride.calls().own - before.own, own.length);
  // A channel range, contiguous blocks (an image, a pixel) and a 3-D slice: tfjs' kernel.
  const other: [number[], number[]][] = [[[0, 0, 0, 1], [3, 7, 6, 2]], [[1, 0, 0, 0], [1, 7, 6, 5]], [[2, 6, 5, 0], [1, 1, 1, 5]]];
  for (const [begin, size] of other) assert.deepEqual(tf.slice(x, begin, size).dataSync(), tfjsSlice(x, begin, size));
  assert.deepEqual(Array.from(tf.slice(tf.reshape(x, [21, 6, 5]), [1, 1, 0], [3, 2, 5]).shape), [3, 2, 5]);
  assert.equal(sliceRowsOverride.calls().own - before.own, own.length);
  x.dispose();
});

test('the gradient of a zero padding (a crop of dy) is dy inside the padding', () => {
  const x = tf.randomNormal([2, 4, 5, 3], 0, 1, 'float32', 2);
  const dy = tf.randomNormal([2, 6, 7, 3], 0, 1, 'float32', 3);
  const g = tf.grad((v: tf.Tensor) => tf.pad(v, [[0, 0], [1, 1], [1, 1], [0, 0]]))(x, dy);
  assert.deepEqual(g.dataSync(), tf.slice(dy, [0, 1, 1, 0], [2, 4, 5, 3]).dataSync());
  assert.deepEqual(g.dataSync(), tfjsSlice(dy, [0, 1, 1, 0], [2, 4, 5, 3]));
  tf.dispose([x, dy, g]);
});
