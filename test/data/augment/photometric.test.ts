import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adjustBrightness, adjustContrast, erase } from '../../../src/data/augment/photometric';

const close = (a: ArrayLike<number>, b: number[]) => Array.from(a).forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-6, `${i}: ${v} vs ${b[i]}`));

test('brightness multiplies and clamps to 0..1', () => {
  close(adjustBrightness(Float32Array.from([0, 0.2, 0.6]), 1.5), [0, 0.3, 0.9]);
  close(adjustBrightness(Float32Array.from([0.8]), 1.5), [1]);
});

test('contrast scales the distance from the image mean and clamps', () => {
  // mean 0.5: 0.4 -> 0.3, 0.6 -> 0.7 at factor 2; factor 0 gives the mean everywhere.
  close(adjustContrast(Float32Array.from([0.4, 0.6]), 2), [0.3, 0.7]);
  close(adjustContrast(Float32Array.from([0.1, 0.9]), 0), [0.5, 0.5]);
  close(adjustContrast(Float32Array.from([0, 1]), 3), [0, 1]);
});

test('erasing sets a rectangle (all channels) to the value and leaves the rest', () => {
  const data = new Float32Array(4 * 3 * 2).fill(1);
  const out = erase({ data, h: 3, w: 4, c: 2 }, { x: 1, y: 1, w: 2, h: 2 }, 0);
  const zero = (x: number, y: number) => out[(y * 4 + x) * 2] === 0 && out[(y * 4 + x) * 2 + 1] === 0;
  assert.ok(zero(1, 1) && zero(2, 1) && zero(1, 2) && zero(2, 2));
  assert.equal(out.filter((v) => v === 0).length, 8);
  assert.equal(data[0], 1, 'input untouched');
});
