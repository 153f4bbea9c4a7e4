// A tiny, learnable image set for loop tests: 16x16 gray, class = where the bright half is.
import { InMemoryBatchSource } from '../../src/data/batches';
import { Random } from '../../src/engine/random';

export function toySource(n: number, seed: number, classes = 3, counts?: number[]): InMemoryBatchSource {
  const r = new Random(seed);
  const labels = counts
    ? Int32Array.from(counts.flatMap((c, k) => new Array(c).fill(k)))
    : Int32Array.from({ length: n }, (_, i) => i % classes);
  const size = 16, data = new Float32Array(labels.length * size * size);
  labels.forEach((l, i) => {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const bright = l === 0 ? y < size / 2 : l === 1 ? y >= size / 2 : x < size / 2;
        data[i * size * size + y * size + x] = (bright ? 0.8 : 0.2) + r.normal(0, 0.15);
      }
    }
  });
  return new InMemoryBatchSource(data, [size, size, 1], labels, Array.from(labels, (_, i) => `s${seed}_${i}`), classes);
}

/** The toy images with label sets: each image's class, and class 2's images carry label 0 too. */
export function toyLabelSets(n: number, seed: number): InMemoryBatchSource {
  const s = toySource(n, seed);
  const targets = new Uint8Array(s.size * 3);
  s.labels.forEach((l, i) => { targets[i * 3 + l] = 1; if (l === 2) targets[i * 3] = 1; });
  return new InMemoryBatchSource(s.data, s.shape, s.labels, s.ids, 3, {}, targets);
}
