import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mixup, cutmix, cutmixBox } from '../../../src/data/augment/mix';
import type { BatchArrays } from '../../../src/data/batches';

// Two 2x2 grey images (all 0 and all 1) with one-hot targets of 2 classes.
const batch = (): BatchArrays => ({
  x: Float32Array.from([0, 0, 0, 0, 1, 1, 1, 1]), y: Float32Array.from([1, 0, 0, 1]), labels: Int32Array.from([0, 1]),
  n: 2, shape: [2, 2, 1], numClasses: 2,
});

test('mixup blends images and targets with the same lambda; hard labels stay', () => {
  const b = batch();
  mixup(b, 0.75, [1, 0]);
  assert.deepEqual(Array.from(b.x), [0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.75]);
  assert.deepEqual(Array.from(b.y), [0.75, 0.25, 0.25, 0.75]);
  assert.deepEqual(Array.from(b.labels), [0, 1]);
});

test('cutmix pastes the box from the partner and mixes targets by the pasted area', () => {
  const b = batch();
  const lam = cutmix(b, { x: 0, y: 0, w: 1, h: 2 }, [1, 0]);
  assert.equal(lam, 0.5);
  assert.deepEqual(Array.from(b.x), [1, 0, 1, 0, 0, 1, 0, 1]);
  assert.deepEqual(Array.from(b.y), [0.5, 0.5, 0.5, 0.5]);
  const box = cutmixBox(64, 64, 0.75, 32, 32);
  assert.equal(box.w * box.h, 32 * 32, 'area share 1 - lambda');
  const edge = cutmixBox(64, 64, 0.75, 0, 0);
  assert.deepEqual(edge, { x: 0, y: 0, w: 16, h: 16 }, 'clipped at the border');
});
