import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random, seedFrom } from '../../src/engine/random';

test('the same seed gives the same stream; another seed a different one', () => {
  const a = new Random(7), b = new Random(7), c = new Random(8);
  const xa = Array.from({ length: 20 }, () => a.next());
  const xb = Array.from({ length: 20 }, () => b.next());
  const xc = Array.from({ length: 20 }, () => c.next());
  assert.deepEqual(xa, xb);
  assert.notDeepEqual(xa, xc);
  assert.ok(xa.every((v) => v >= 0 && v < 1));
});

test('normal() has mean ~0 and std ~1; shuffle is a permutation', () => {
  const r = new Random(1);
  const xs = Array.from({ length: 20000 }, () => r.normal());
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / xs.length);
  assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(sd - 1) < 0.03, `sd ${sd}`);
  const p = r.shuffle([...Array(50).keys()]);
  assert.deepEqual([...p].sort((x, y) => x - y), [...Array(50).keys()]);
  assert.notDeepEqual(p, [...Array(50).keys()]);
});

test('fork() streams depend only on the seed and the label', () => {
  const a = new Random(3);
  a.next();
  assert.equal(a.fork('fold', 1).next(), new Random(3).fork('fold', 1).next());
  assert.notEqual(seedFrom(1, 'a'), seedFrom(1, 'b'));
});
