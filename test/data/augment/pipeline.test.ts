import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { withAugmentation, makeAugmenter } from '../../../src/data/augment/pipeline';
import { InMemoryBatchSource, type BatchSource } from '../../../src/data/batches';
import { resolveDatasetConfig } from '../../../src/data/load';
import { Random } from '../../../src/engine/random';
import type { AugmentConfig } from '../../../src/data/schema';

const augment = (a: Record<string, unknown>) => resolveDatasetConfig({ augment: a }).augment as AugmentConfig;

function source(): InMemoryBatchSource {
  const n = 8, per = 4 * 4;
  const data = Float32Array.from({ length: n * per }, (_, i) => ((i % per) + 1) / 20);
  return new InMemoryBatchSource(data, [4, 4, 1], Int32Array.from({ length: n }, (_, i) => i % 2), Array.from({ length: n }, (_, i) => `c${i}`), 2);
}

function collect(s: BatchSource, seed: number): { x: number[]; y: number[] } {
  const x: number[] = [], y: number[] = [];
  for (const b of s.batches({ batchSize: 4, shuffle: new Random(seed) })) {
    x.push(...(b.x.dataSync() as Float32Array));
    y.push(...(b.y.dataSync() as Float32Array));
    tf.dispose([b.x, b.y]);
  }
  return { x, y };
}

test('augmentation is seeded per batch: the same epoch stream gives the same images, another gives others', () => {
  const aug = withAugmentation(source(), augment({ hflip: 0.5, rotate90: true, brightness: 0.3 }), 1);
  assert.deepEqual(collect(aug, 5), collect(aug, 5));
  assert.notDeepEqual(collect(aug, 5).x, collect(aug, 6).x);
  assert.notDeepEqual(collect(aug, 5).x, collect(source(), 5).x, 'images changed');
  assert.equal(withAugmentation(source(), false, 1) instanceof InMemoryBatchSource, true);
});

test('flips with p = 1 on a known batch; mixup gives soft targets that still sum to 1', () => {
  const s = source();
  const flipped = collect(withAugmentation(s, augment({ hflip: 1 }), 1), 0).x;
  const plain = collect(s, 0).x;
  // Row 0 of the first image reversed.
  assert.deepEqual(flipped.slice(0, 4), plain.slice(0, 4).reverse());
  const mixed = collect(withAugmentation(s, augment({ mixup: { alpha: 1 } }), 2), 0).y;
  const rows = Array.from({ length: mixed.length / 2 }, (_, i) => [mixed[2 * i], mixed[2 * i + 1]]);
  assert.ok(rows.some(([a]) => a > 0 && a < 1), 'some targets are soft');
  rows.forEach(([a, b]) => assert.ok(Math.abs(a + b - 1) < 1e-6));
});

test('a source that is not ours is augmented on its tensors', () => {
  const inner = source();
  const foreign: BatchSource = { size: inner.size, numClasses: 2, labels: inner.labels, ids: inner.ids, batches: (o) => inner.batches(o) };
  const a = collect(withAugmentation(foreign, augment({ vflip: 1 }), 1), 3).x;
  const b = collect(withAugmentation(inner, augment({ vflip: 1 }), 1), 3).x;
  assert.deepEqual(a, b);
  const t = makeAugmenter(augment({ erasing: { p: 1, scale: [0.25, 0.25], ratio: [1, 1] } }));
  const arr = { x: new Float32Array(16).fill(1), y: Float32Array.from([1, 0]), labels: Int32Array.from([0]), n: 1, shape: [4, 4, 1] as [number, number, number], numClasses: 2 };
  t(arr, new Random(1));
  assert.equal(arr.x.filter((v) => v === 0).length, 4, 'a 2x2 patch erased');
});

test('translate: shifts of up to k pixels in x and y, all 2k + 1 offsets drawn; reflection needs k below the image side', () => {
  // A single bright pixel in the middle of a 9x9 image: where it lands is the offset.
  const t = makeAugmenter(augment({ translate: { pixels: 2 } }));
  const seen = new Set<string>();
  for (let i = 0; i < 400; i++) {
    const arr = { x: new Float32Array(81), y: Float32Array.from([1, 0]), labels: Int32Array.from([0]), n: 1, shape: [9, 9, 1] as [number, number, number], numClasses: 2 };
    arr.x[4 * 9 + 4] = 1;
    t(arr, new Random(i));
    const at = arr.x.indexOf(1);
    assert.equal(arr.x.filter((v) => v === 1).length, 1, 'the pixel moves, nothing else lights up');
    seen.add(`${(at % 9) - 4},${Math.floor(at / 9) - 4}`);
  }
  assert.equal(seen.size, 25, `offsets seen: ${[...seen].sort().join(' ')}`);
  assert.ok([...seen].every((o) => o.split(',').every((v) => Math.abs(Number(v)) <= 2)));
  assert.deepEqual(augment({ translate: {} }).translate, { pixels: 4, padding: 'reflect', p: 1 });
  const big = makeAugmenter(augment({ translate: { pixels: 4 } }));
  const arr = { x: new Float32Array(16), y: Float32Array.from([1, 0]), labels: Int32Array.from([0]), n: 1, shape: [4, 4, 1] as [number, number, number], numClasses: 2 };
  assert.throws(() => big(arr, new Random(1)), /dataset\.augment\.translate\.pixels is 4 but reflection needs fewer pixels than the image side \(4\)/);
  assert.throws(() => augment({ translate: { pixels: 2, padding: 'mirror' } }), /`dataset.augment.translate.padding` must be one of 'reflect' \| 'zero', got 'mirror'/);
});
