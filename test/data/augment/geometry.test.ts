import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hflip, vflip, rot90, rotate, resizedCrop, translate, type Img } from '../../../src/data/augment/geometry';
import { python } from '../helpers';

// A 3x3 grey image with values 1..9:  1 2 3 / 4 5 6 / 7 8 9
const img = (): Img => ({ data: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), h: 3, w: 3, c: 1 });

test('horizontal and vertical flips mirror columns and rows', () => {
  assert.deepEqual(Array.from(hflip(img())), [3, 2, 1, 6, 5, 4, 9, 8, 7]);
  assert.deepEqual(Array.from(vflip(img())), [7, 8, 9, 4, 5, 6, 1, 2, 3]);
  const rgb: Img = { data: Float32Array.from([1, 10, 100, 2, 20, 200]), h: 1, w: 2, c: 3 };
  assert.deepEqual(Array.from(hflip(rgb)), [2, 20, 200, 1, 10, 100], 'channels move together');
});

test('quarter turns rotate counter-clockwise; four turns are the identity', () => {
  assert.deepEqual(Array.from(rot90(img(), 1)), [3, 6, 9, 2, 5, 8, 1, 4, 7]);
  assert.deepEqual(Array.from(rot90(img(), 2)), [9, 8, 7, 6, 5, 4, 3, 2, 1]);
  assert.deepEqual(Array.from(rot90(img(), 3)), [7, 4, 1, 8, 5, 2, 9, 6, 3]);
  assert.deepEqual(Array.from(rot90(img(), 4)), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('arbitrary rotation: 90 degrees equals a quarter turn, 0 is the identity, 45 fills the corners with 0', () => {
  assert.deepEqual(Array.from(rotate(img(), 90)).map((v) => Math.round(v * 1e6) / 1e6), [3, 6, 9, 2, 5, 8, 1, 4, 7]);
  assert.deepEqual(Array.from(rotate(img(), 0)), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const ones: Img = { data: new Float32Array(81).fill(1), h: 9, w: 9, c: 1 };
  const r = rotate(ones, 45);
  assert.equal(r[0], 0, 'corner outside the rotated square');
  assert.equal(r[40], 1, 'centre unchanged');
  // 18 angles of 20 degrees: a full turn in 18 steps returns the centre pixel unchanged.
  assert.equal(rotate(img(), 20 * 18)[4], 5);
});

test('resized crop: the whole image is the identity; a 2x2 corner box is enlarged to fill the image', () => {
  assert.deepEqual(Array.from(resizedCrop(img(), { x: 0, y: 0, w: 3, h: 3 })), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  const big: Img = { data: Float32Array.from([0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), h: 4, w: 4, c: 1 };
  const crop = resizedCrop(big, { x: 0, y: 0, w: 2, h: 2 });
  // The bright pixel (1,1) of the box now covers the bottom-right quarter.
  assert.equal(crop[15], 1);
  assert.equal(crop[0], 0);
  assert.ok(crop[10] > 0.5);
});

test("translate: every crop of a reflect-padded image equals numpy's pad(mode='reflect') (torchvision's RandomCrop padding_mode='reflect'); zero padding fills zeros", () => {
  const h = 5, w = 6, c = 2, k = 3;
  const src: Img = { data: Float32Array.from({ length: h * w * c }, (_, i) => i + 1), h, w, c };
  // Every offset of the (h + 2k) x (w + 2k) padded image, cropped back to h x w.
  const want = python<number[][][][][]>(`
import json, numpy as np
x = np.arange(1, ${h * w * c} + 1, dtype=np.float32).reshape(${h}, ${w}, ${c})
p = np.pad(x, ((${k}, ${k}), (${k}, ${k}), (0, 0)), mode='reflect')
print(json.dumps([[p[oy:oy + ${h}, ox:ox + ${w}].tolist() for ox in range(${2 * k + 1})] for oy in range(${2 * k + 1})]))`);
  for (let oy = 0; oy <= 2 * k; oy++) {
    for (let ox = 0; ox <= 2 * k; ox++) {
      assert.deepEqual(Array.from(translate(src, k - ox, k - oy)), want[oy][ox].flat(2), `offset (${ox}, ${oy})`);
    }
  }
  assert.deepEqual(Array.from(translate(img(), 0, 0)), [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // One right and one down with zeros: 0 0 0 / 0 1 2 / 0 4 5.
  assert.deepEqual(Array.from(translate(img(), 1, 1, 'zero')), [0, 0, 0, 0, 1, 2, 0, 4, 5]);
});
