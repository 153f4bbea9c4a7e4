import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sampleBox, sampleBeta } from '../../../src/data/augment/boxes';
import { Random } from '../../../src/engine/random';

test('boxes cover the requested area share and aspect ratio and stay inside the image', () => {
  const rng = new Random(3);
  for (let i = 0; i < 500; i++) {
    const b = sampleBox(64, 48, [0.1, 0.3], [0.5, 2], rng);
    assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.w <= 48 && b.y + b.h <= 64, JSON.stringify(b));
    const share = (b.w * b.h) / (64 * 48);
    assert.ok(share > 0.08 && share < 0.33, `share ${share}`);
    assert.ok(b.w / b.h > 0.4 && b.w / b.h < 2.5, `ratio ${b.w / b.h}`);
  }
  // Impossible request (more than the image): the largest centred box within the ratio.
  assert.deepEqual(sampleBox(10, 10, [2, 3], [1, 1], new Random(1)), { x: 0, y: 0, w: 10, h: 10 });
});

test('Beta(alpha, alpha) draws have mean 1/2 and the right spread; alpha 0 means no mixing', () => {
  const rng = new Random(11);
  for (const alpha of [0.2, 1, 4]) {
    const xs = Array.from({ length: 4000 }, () => sampleBeta(alpha, rng));
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length;
    const want = 1 / (4 * (2 * alpha + 1));
    assert.ok(Math.abs(m - 0.5) < 0.03, `alpha ${alpha}: mean ${m}`);
    assert.ok(Math.abs(v - want) < 0.15 * want, `alpha ${alpha}: variance ${v} vs ${want}`);
    assert.ok(xs.every((x) => x >= 0 && x <= 1));
  }
  assert.equal(sampleBeta(0, rng), 1);
});
