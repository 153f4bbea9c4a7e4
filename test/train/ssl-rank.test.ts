// The effective rank that train/effective_rank logs: it counts the directions
// embeddings use, so dimensional collapse (spread kept, one direction) shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../src/engine/random';
import { effectiveRank } from '../../src/train/index';

const gauss = (rng: Random) => rng.normal();

function rows(n: number, d: number, f: (i: number, j: number) => number): Float32Array {
  return Float32Array.from({ length: n * d }, (_, k) => f(Math.floor(k / d), k % d));
}

test('an isotropic embedding has effective rank ~d, a collapsed one ~1', () => {
  const rng = new Random(1);
  const d = 16;
  // 512 Gaussian rows of 16 values: every direction holds ~1/16 of the variance.
  const iso = effectiveRank(rows(512, d, () => gauss(rng)), 512, d);
  assert.ok(iso > 15 && iso <= 16, `isotropic: ${iso}`);
  // Dimensional collapse: a spread along one direction (and a little noise), not a point.
  const dir = Array.from({ length: d }, () => gauss(rng));
  const line = effectiveRank(rows(512, d, (i, j) => (i % 7 - 3) * dir[j] + 1e-3 * gauss(rng)), 512, d);
  assert.ok(line >= 1 && line < 1.05, `collapsed to a line: ${line}`);
  // Two equal directions: 2; no spread at all: 0.
  const two = effectiveRank(rows(400, d, (i, j) => (j === 3 ? (i % 2 ? 1 : -1) : j === 9 ? (Math.floor(i / 2) % 2 ? 1 : -1) : 0)), 400, d);
  assert.ok(Math.abs(two - 2) < 1e-6, `two directions: ${two}`);
  assert.equal(effectiveRank(rows(8, d, (_, j) => j), 8, d), 0);
});

test('fewer rows than dimensions: the rank is bounded by the rows (n - 1 after centring)', () => {
  const rng = new Random(2);
  const r = effectiveRank(rows(5, 64, () => gauss(rng)), 5, 64);
  assert.ok(r > 2.5 && r <= 4 + 1e-9, `5 rows of 64: ${r}`);
  // Same spectrum from the Gram (n < d) and the covariance (n > d) side: the transposed data.
  const x = rows(6, 10, () => gauss(rng));
  const rank = effectiveRank(x, 6, 10);
  const centred = effectiveRank(rows(60, 10, (i, j) => x[(i % 6) * 10 + j]), 60, 10);
  assert.ok(Math.abs(rank - centred) < 1e-6, `${rank} vs ${centred} (the rows repeated ten times)`);
});

test('bad shapes are errors that say what is wrong', () => {
  assert.throws(() => effectiveRank(new Float32Array(10), 1, 10), /n >= 2 rows.*got n 1/);
  assert.throws(() => effectiveRank(new Float32Array(10), 2, 4), /10 values are not 2 rows of 4/);
});
