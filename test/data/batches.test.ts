import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { InMemoryBatchSource, PreparedBatchSource, type BatchSource } from '../../src/data/batches';
import { PixelStore } from '../../src/data/store';
import { computeNormalization, resolveNormalization } from '../../src/data/normalization';
import { Random } from '../../src/engine/random';
import { validate } from '../../src/engine/schema';
import { datasetSchema } from '../../src/data/schema';

function store(): PixelStore {
  const s = new PixelStore([2, 2, 1], false);
  s.addPixels(Uint8Array.from([0, 51, 102, 255]), 8, 0.5);
  s.addPixels(Uint16Array.from([0, 65535, 65535, 0]), 16, 0.25);
  s.addPixels(Uint8Array.from([255, 255, 255, 255]), 8, 1);
  return s;
}

function all(src: BatchSource, batchSize: number, shuffle?: Random): { x: number[]; y: number[]; ids: string[]; labels: number[] } {
  const out = { x: [] as number[], y: [] as number[], ids: [] as string[], labels: [] as number[] };
  for (const b of src.batches({ batchSize, shuffle })) {
    out.x.push(...b.x.dataSync());
    out.y.push(...b.y.dataSync());
    out.ids.push(...b.ids);
    out.labels.push(...b.labels);
    tf.dispose([b.x, b.y]);
  }
  return out;
}

test('a prepared source yields 0..1 pixels (8 and 16 bit), one-hot targets, in batches; the same as an in-memory source', () => {
  const src = new PreparedBatchSource(store(), [2, 0, 1], Int32Array.from([1, 0, 1]), ['c', 'a', 'b'], 2);
  const r = all(src, 2);
  const close = (a: number[], b: number[]) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-6, `${i}: ${v} vs ${b[i]}`));
  close(r.x, [1, 1, 1, 1, 0, 0.2, 0.4, 1, 0, 1, 1, 0]);
  assert.deepEqual(r.y, [0, 1, 1, 0, 0, 1]);
  assert.deepEqual(r.ids, ['c', 'a', 'b']);
  const mem = new InMemoryBatchSource(Float32Array.from(r.x), [2, 2, 1], Int32Array.from([1, 0, 1]), ['c', 'a', 'b'], 2);
  assert.deepEqual(all(mem, 3).x, r.x);
  assert.deepEqual(Array.from(src.means()), [1, 0.5, 0.25]);
  const shuffled = all(src, 2, new Random(4));
  assert.deepEqual([...shuffled.ids].sort(), ['a', 'b', 'c']);
  assert.deepEqual(all(src, 2, new Random(4)).ids, shuffled.ids, 'seeded order');
});

test('normalisation from the training split: per-channel mean/std over its pixels, applied to every batch', () => {
  const train = new PreparedBatchSource(store(), [0, 1], Int32Array.from([0, 1]), ['a', 'b'], 2);
  const n = computeNormalization(train);
  const px = [0, 0.2, 0.4, 1, 0, 1, 1, 0];
  const mean = px.reduce((a, b) => a + b, 0) / px.length;
  const std = Math.sqrt(px.reduce((a, b) => a + (b - mean) ** 2, 0) / px.length);
  assert.ok(Math.abs(n.mean[0] - mean) < 1e-6 && Math.abs(n.std[0] - std) < 1e-6, `${n.mean} ${n.std} vs ${mean} ${std}`);
  const test2 = new PreparedBatchSource(store(), [2], Int32Array.from([0]), ['c'], 2).withOptions({ normalize: n });
  all(test2, 1).x.forEach((v) => assert.ok(Math.abs(v - (1 - mean) / std) < 1e-5));
  assert.deepEqual(resolveNormalization({ mean: 0.5, std: [0.25] }, train), { mean: [0.5], std: [0.25] });
  assert.equal(resolveNormalization(false, train), undefined);
  assert.throws(() => resolveNormalization({ mean: 0.5 } as never, train), /dataset.normalize.std is missing/);
  assert.throws(() => train.withOptions({ normalize: { mean: [0, 0], std: [1, 1, 1] } }), /images have 1 channel/);
});

test('normalize: image standardises each image by its own mean and std, after augmentation; a flat image becomes zeros', () => {
  const src = new PreparedBatchSource(store(), [0, 1, 2], Int32Array.from([0, 1, 0]), ['a', 'b', 'c'], 2);
  const x = all(src.withOptions({ normalize: 'image' }), 2).x;
  const plain = all(src, 2).x;
  for (let i = 0; i < 2; i++) {
    const img = plain.slice(4 * i, 4 * i + 4);
    const mean = img.reduce((a, b) => a + b, 0) / 4;
    const sd = Math.sqrt(img.reduce((a, b) => a + (b - mean) ** 2, 0) / 4);
    // TF's per_image_standardization floors the std at 1/sqrt(pixels) (0.5 for these 2x2 images).
    img.forEach((v, j) => assert.ok(Math.abs(x[4 * i + j] - (v - mean) / Math.max(sd, 0.5)) < 1e-5, `image ${i} pixel ${j}: ${x[4 * i + j]}`));
  }
  // Image 1 (0, 1, 1, 0): mean 0.5, std 0.5, so -1, 1, 1, -1.
  assert.deepEqual(x.slice(4, 8).map((v) => Math.round(v * 1e5) / 1e5), [-1, 1, 1, -1]);
  assert.deepEqual(x.slice(8), [0, 0, 0, 0], 'a flat image (std 0) maps to zeros, not NaN');
  // Standardised after the transform: an offset added by augmentation is removed again.
  const brighter = src.withOptions({ normalize: 'image', transform: (b) => { for (let i = 0; i < b.x.length; i++) b.x[i] += 0.3; } });
  all(brighter, 2).x.forEach((v, i) => assert.ok(Math.abs(v - x[i]) < 1e-5, `${i}: ${v} vs ${x[i]}`));
  assert.equal(resolveNormalization('image', src), 'image');
  const bad: string[] = [];
  validate(datasetSchema, { normalize: 'imag' }, 'dataset', bad);
  assert.match(bad.join('\n'), /`dataset.normalize` must be false, or one of 'train' \| 'image', or a mapping/);
});
