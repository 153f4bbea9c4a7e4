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

/**
 * Class 0: stripes, class 1: a crosshatch of two perpendicular stripe sets, at
 * one of 4 orientations (0, 45, 90, 135 degrees), random phase, a little
 * frequency, brightness, contrast and noise variation; `size` px, gray, 0..1.
 * Both classes have the same power, so a random network's oriented-energy
 * features separate them only as an XOR (stripes light one orientation, a
 * crosshatch two): a linear probe on them does poorly, while a network
 * trained to be invariant to quarter turns can expose the class.
 */
export function stripesOrCrosshatch(n: number, seed: number, size = 24): InMemoryBatchSource {
  const r = new Random(seed);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
  const data = new Float32Array(n * size * size);
  labels.forEach((l, i) => {
    const angle = (r.int(4) * Math.PI) / 4, f = r.uniform(0.17, 0.2), bright = r.uniform(0.45, 0.55), amp = r.uniform(0.2, 0.25);
    const waves = l === 0 ? [{ a: angle, amp: 1 }] : [{ a: angle, amp: Math.SQRT1_2 }, { a: angle + Math.PI / 2, amp: Math.SQRT1_2 }];
    const phases = waves.map(() => r.uniform(0, 2 * Math.PI));
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        let v = 0;
        waves.forEach((w, k) => { v += w.amp * Math.sin(2 * Math.PI * f * (x * Math.cos(w.a) + y * Math.sin(w.a)) + phases[k]); });
        data[i * size * size + y * size + x] = Math.min(1, Math.max(0, bright + amp * v + r.normal(0, 0.05)));
      }
    }
  });
  return new InMemoryBatchSource(data, [size, size, 1], labels, Array.from(labels, (_, i) => `x${seed}_${i}`), 2);
}

/** The toy images with label sets: each image's class, and class 2's images carry label 0 too. */
export function toyLabelSets(n: number, seed: number): InMemoryBatchSource {
  const s = toySource(n, seed);
  const targets = new Uint8Array(s.size * 3);
  s.labels.forEach((l, i) => { targets[i * 3 + l] = 1; if (l === 2) targets[i * 3] = 1; });
  return new InMemoryBatchSource(s.data, s.shape, s.labels, s.ids, 3, {}, targets);
}
