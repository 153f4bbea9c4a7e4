// Prepared images as a source of training/evaluation batches. A batch is
// built as plain arrays (0..1 pixels, one-hot targets), optionally augmented
// (a transform hook, training only), normalised, then turned into tensors.
import * as tf from '@tensorflow/tfjs';
import { Random, seedFrom } from '../engine/random';
import type { PixelStore } from './store';

export interface Batch {
  x: tf.Tensor4D;
  /** One-hot (multi-label: 0/1 per label; soft after mixup/cutmix) targets. */
  y: tf.Tensor2D;
  /** Class index per row (the hard label; multi-label: the first label, -1 for none). */
  labels: Int32Array;
  /** Multi-label: the 0/1 label sets of the rows (n x numClasses), before any mixing. */
  targets?: Uint8Array;
  ids: string[];
}

/** What the training loop consumes: a sized, re-iterable source of batches. */
export interface BatchSource {
  readonly size: number;
  readonly numClasses: number;
  /** Class index of every item, in source order. */
  readonly labels: Int32Array;
  /** Multi-label: 0/1 per item and label (size x numClasses), in source order. */
  readonly targets?: Uint8Array;
  readonly ids: string[];
  /**
   * Batches for one pass. With `shuffle`, the order is drawn from it (seeded).
   * The caller disposes each batch's tensors.
   */
  batches(o: { batchSize: number; shuffle?: Random }): Iterable<Batch>;
}

/** One batch as arrays, before tensors: what augmentation works on (in place). */
export interface BatchArrays {
  /** n x h x w x c pixels, 0..1 before normalisation. */
  x: Float32Array;
  /** n x numClasses targets (one-hot until mixed). */
  y: Float32Array;
  labels: Int32Array;
  n: number;
  shape: [number, number, number];
  numClasses: number;
}

export type BatchTransform = (b: BatchArrays, rng: Random) => void;

export interface Normalization {
  /** Per channel (one value applies to all). */
  mean: number[];
  std: number[];
}

export interface SourceOptions {
  /** Fixed per-channel statistics, or `image`: each image by its own mean and std. */
  normalize?: Normalization | 'image';
  /** Applied to every batch before normalisation (augmentation). */
  transform?: BatchTransform;
  /** Seed of the transform's randomness. */
  seed?: number;
}

/** Subtract the mean and divide by the std, per channel, in place. */
export function normalizeInPlace(x: Float32Array, channels: number, n: Normalization): void {
  const mean = Array.from({ length: channels }, (_, c) => n.mean[n.mean.length === 1 ? 0 : c]);
  const inv = Array.from({ length: channels }, (_, c) => 1 / n.std[n.std.length === 1 ? 0 : c]);
  for (let i = 0; i < x.length; i++) {
    const c = i % channels;
    x[i] = (x[i] - mean[c]) * inv[c];
  }
}

/**
 * Standardise each of the `n` images of `x` (`per` values each) by its own
 * mean and std over all pixels and channels, in place. As TF's
 * per_image_standardization, the std is floored at 1/sqrt(per) so a flat
 * image maps to zeros instead of dividing by zero.
 */
export function standardizeImagesInPlace(x: Float32Array, n: number, per: number): void {
  for (let i = 0; i < n; i++) {
    const img = x.subarray(i * per, (i + 1) * per);
    let sum = 0, sq = 0;
    for (let j = 0; j < per; j++) { sum += img[j]; sq += img[j] * img[j]; }
    const mean = sum / per;
    const inv = 1 / Math.max(Math.sqrt(Math.max(0, sq / per - mean * mean)), 1 / Math.sqrt(per));
    for (let j = 0; j < per; j++) img[j] = (img[j] - mean) * inv;
  }
}

/** Shared batching: order, arrays, transform, normalisation, tensors. */
export abstract class ArrayBatchSource implements BatchSource {
  readonly size: number;
  private passes = 0;

  constructor(
    readonly shape: [number, number, number],
    readonly labels: Int32Array,
    readonly ids: string[],
    readonly numClasses: number,
    readonly options: SourceOptions = {},
    /** Multi-label targets, 0/1 per item and label. */
    readonly targets?: Uint8Array,
  ) {
    this.size = labels.length;
    if (ids.length !== labels.length) throw new Error(`${ids.length} ids but ${labels.length} labels were given`);
    if (targets && targets.length !== labels.length * numClasses) throw new Error(`multi-label targets hold ${targets.length} values for ${labels.length} items x ${numClasses} labels`);
    const n = options.normalize;
    if (n && n !== 'image' && (n.mean.length !== 1 && n.mean.length !== shape[2] || n.std.length !== 1 && n.std.length !== shape[2])) {
      throw new Error(`normalisation has ${n.mean.length} mean(s) and ${n.std.length} std(s) but images have ${shape[2]} channel(s): give one value or one per channel`);
    }
  }

  /** Write item `index`'s 0..1 pixels into `into` at `offset`. */
  protected abstract fill(index: number, into: Float32Array, offset: number): void;

  /** The same items with other options (e.g. augmentation for training). */
  abstract withOptions(options: SourceOptions): ArrayBatchSource;

  /** Item `index` as 0..1 floats (h x w x c), without transform or normalisation. */
  pixels(index: number): Float32Array {
    const out = new Float32Array(this.shape[0] * this.shape[1] * this.shape[2]);
    this.fill(index, out, 0);
    return out;
  }

  *batches(o: { batchSize: number; shuffle?: Random }): Iterable<Batch> {
    const pass = this.passes++;
    const order = Array.from({ length: this.size }, (_, i) => i);
    if (o.shuffle) o.shuffle.shuffle(order);
    const per = this.shape[0] * this.shape[1] * this.shape[2];
    const { transform, normalize } = this.options;
    // Augmentation draws depend on the shuffle stream (hence the epoch) when given, else on the pass.
    const augSeed = seedFrom(this.options.seed ?? 0, 'augment', o.shuffle ? o.shuffle.seed : `pass${pass}`);
    for (let start = 0, bi = 0; start < this.size; start += o.batchSize, bi++) {
      const idx = order.slice(start, start + o.batchSize);
      const n = idx.length;
      const x = new Float32Array(n * per);
      const y = new Float32Array(n * this.numClasses);
      const labels = new Int32Array(n);
      const K = this.numClasses;
      const targets = this.targets ? new Uint8Array(n * K) : undefined;
      idx.forEach((src, k) => {
        this.fill(src, x, k * per);
        labels[k] = this.labels[src];
        if (targets) {
          targets.set(this.targets!.subarray(src * K, (src + 1) * K), k * K);
          for (let c = 0; c < K; c++) y[k * K + c] = targets[k * K + c];
        } else y[k * K + labels[k]] = 1;
      });
      const arrays: BatchArrays = { x, y, labels, n, shape: this.shape, numClasses: this.numClasses };
      if (transform) transform(arrays, new Random(seedFrom(augSeed, bi)));
      if (normalize === 'image') standardizeImagesInPlace(arrays.x, n, per);
      else if (normalize) normalizeInPlace(arrays.x, this.shape[2], normalize);
      yield {
        x: tf.tensor4d(arrays.x, [n, ...this.shape]),
        y: tf.tensor2d(arrays.y, [n, this.numClasses]),
        labels,
        ...(targets ? { targets } : {}),
        ids: idx.map((i) => this.ids[i]),
      };
    }
  }
}

/** All images of a split held in one Float32Array [N, H, W, C] of 0..1 values. */
export class InMemoryBatchSource extends ArrayBatchSource {
  constructor(
    readonly data: Float32Array,
    shape: [number, number, number],
    labels: Int32Array,
    ids: string[],
    numClasses: number,
    options: SourceOptions = {},
    targets?: Uint8Array,
  ) {
    super(shape, labels, ids, numClasses, options, targets);
    const per = shape[0] * shape[1] * shape[2];
    if (data.length !== per * this.size) {
      throw new Error(`image data holds ${data.length / per} images but ${this.size} labels were given`);
    }
  }

  protected fill(index: number, into: Float32Array, offset: number): void {
    const per = this.shape[0] * this.shape[1] * this.shape[2];
    into.set(this.data.subarray(index * per, (index + 1) * per), offset);
  }

  withOptions(options: SourceOptions): InMemoryBatchSource {
    return new InMemoryBatchSource(this.data, this.shape, this.labels, this.ids, this.numClasses, options, this.targets);
  }
}

/**
 * Items of a PixelStore (8/16-bit samples in memory, or streamed from the
 * cache file): 1-2 bytes per sample held, floats only per batch.
 */
export class PreparedBatchSource extends ArrayBatchSource {
  constructor(
    readonly store: PixelStore,
    /** Store index of each item of this source. */
    readonly indices: number[],
    labels: Int32Array,
    ids: string[],
    numClasses: number,
    options: SourceOptions = {},
    targets?: Uint8Array,
  ) {
    super(store.shape, labels, ids, numClasses, options, targets);
    if (indices.length !== labels.length) throw new Error(`${indices.length} store indices but ${labels.length} labels were given`);
  }

  protected fill(index: number, into: Float32Array, offset: number): void {
    this.store.read(this.indices[index], into, offset);
  }

  withOptions(options: SourceOptions): PreparedBatchSource {
    return new PreparedBatchSource(this.store, this.indices, this.labels, this.ids, this.numClasses, options, this.targets);
  }

  /** The same items with one-hot targets of their first label (a multi-label set reduced to single-label training). */
  withoutTargets(): PreparedBatchSource {
    return new PreparedBatchSource(this.store, this.indices, this.labels, this.ids, this.numClasses, this.options);
  }

  /** Mean intensity (inside the mask, full resolution) of each item, in source order. */
  means(): Float64Array {
    return Float64Array.from(this.indices, (i) => this.store.mean(i));
  }
}
