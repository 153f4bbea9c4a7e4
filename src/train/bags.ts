// Bags as the bag training loop consumes them: per-image features (from a
// frozen backbone, computed once), bag offsets, bag labels, encoded metadata
// and an optional standardised regression target. Minibatches pad every bag
// to the largest in the batch and carry a mask, so bags of 5 and 50 images
// train together.
import * as tf from '@tensorflow/tfjs';

export interface BagSet {
  /** Bag ids, in order. */
  ids: string[];
  /** 1 for the positive class, 0 otherwise. */
  labels: Int32Array;
  /** Bag b's images are rows offsets[b] .. offsets[b+1]-1 of `features` (length bags + 1). */
  offsets: Int32Array;
  /** Row-major [images, dim] (dim 0: no image features, e.g. a metadata-only model). */
  features: Float32Array;
  dim: number;
  /** Id of each image row (for per-image attention reports). */
  instanceIds: string[];
  /** Row-major [bags, metaDim]. */
  meta: Float32Array;
  metaDim: number;
  /** Standardised auxiliary target per bag. */
  aux?: Float32Array;
}

export interface BagBatch {
  x?: tf.Tensor3D;
  mask?: tf.Tensor2D;
  meta?: tf.Tensor2D;
  /** [B] 0/1. */
  y: tf.Tensor1D;
  aux?: tf.Tensor1D;
  /** Bag indices of the batch. */
  index: number[];
  labels: Int32Array;
}

export function bagCount(s: BagSet): number {
  return s.ids.length;
}

export function bagSize(s: BagSet, b: number): number {
  return s.offsets[b + 1] - s.offsets[b];
}

/** Check the arrays agree (sizes, offsets): a bad BagSet fails here, not deep in a kernel. */
export function checkBagSet(s: BagSet, what: string): void {
  const n = s.ids.length;
  if (s.labels.length !== n || s.offsets.length !== n + 1) throw new Error(`${what}: ${n} bags but ${s.labels.length} labels and ${s.offsets.length - 1} offsets`);
  if (s.meta.length !== n * s.metaDim) throw new Error(`${what}: metadata holds ${s.meta.length} values, expected ${n} x ${s.metaDim}`);
  if (s.aux && s.aux.length !== n) throw new Error(`${what}: ${s.aux.length} auxiliary targets for ${n} bags`);
  const rows = s.offsets[n];
  if (s.dim > 0 && s.features.length !== rows * s.dim) throw new Error(`${what}: features hold ${s.features.length / Math.max(1, s.dim)} rows, offsets say ${rows}`);
  for (let b = 0; b < n; b++) if (s.offsets[b + 1] <= s.offsets[b] && s.dim > 0) throw new Error(`${what}: bag '${s.ids[b]}' has no images`);
}

/** Tensors of bags `index`, padded to the largest bag among them. The caller disposes them. */
export function bagBatch(s: BagSet, index: number[], o: { images: boolean; meta: boolean }): BagBatch {
  const B = index.length;
  const labels = Int32Array.from(index, (b) => s.labels[b]);
  const out: BagBatch = { y: tf.tensor1d(Float32Array.from(labels)), index, labels };
  if (o.images && s.dim > 0) {
    const N = Math.max(1, ...index.map((b) => bagSize(s, b)));
    const x = new Float32Array(B * N * s.dim), mask = new Float32Array(B * N);
    index.forEach((b, i) => {
      const n = bagSize(s, b);
      x.set(s.features.subarray(s.offsets[b] * s.dim, s.offsets[b + 1] * s.dim), i * N * s.dim);
      mask.fill(1, i * N, i * N + n);
    });
    out.x = tf.tensor3d(x, [B, N, s.dim]);
    out.mask = tf.tensor2d(mask, [B, N]);
  }
  if (o.meta && s.metaDim > 0) {
    const m = new Float32Array(B * s.metaDim);
    index.forEach((b, i) => m.set(s.meta.subarray(b * s.metaDim, (b + 1) * s.metaDim), i * s.metaDim));
    out.meta = tf.tensor2d(m, [B, s.metaDim]);
  }
  if (s.aux) out.aux = tf.tensor1d(Float32Array.from(index, (b) => s.aux![b]));
  return out;
}

export function disposeBatch(b: BagBatch): void {
  for (const t of [b.x, b.mask, b.meta, b.y, b.aux]) t?.dispose();
}
