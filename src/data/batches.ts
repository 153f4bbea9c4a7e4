// Prepared images as a source of training/evaluation batches.
import * as tf from '@tensorflow/tfjs';
import { Random } from '../engine/random';

export interface Batch {
  x: tf.Tensor4D;
  /** One-hot (or soft, after mixup) targets. */
  y: tf.Tensor2D;
  /** Class index per row (the hard label). */
  labels: Int32Array;
  ids: string[];
}

/** What the training loop consumes: a sized, re-iterable source of batches. */
export interface BatchSource {
  readonly size: number;
  readonly numClasses: number;
  /** Class index of every item, in source order. */
  readonly labels: Int32Array;
  readonly ids: string[];
  /**
   * Batches for one pass. With `shuffle`, the order is drawn from it (seeded).
   * The caller disposes each batch's tensors.
   */
  batches(o: { batchSize: number; shuffle?: Random }): Iterable<Batch>;
}

/** All images of a split held in one Float32Array [N, H, W, C]. */
export class InMemoryBatchSource implements BatchSource {
  readonly size: number;

  constructor(
    readonly data: Float32Array,
    readonly shape: [number, number, number],
    readonly labels: Int32Array,
    readonly ids: string[],
    readonly numClasses: number,
  ) {
    this.size = labels.length;
    const per = shape[0] * shape[1] * shape[2];
    if (data.length !== per * this.size) {
      throw new Error(`image data holds ${data.length / per} images but ${this.size} labels were given`);
    }
  }

  *batches(o: { batchSize: number; shuffle?: Random }): Iterable<Batch> {
    const order = Array.from({ length: this.size }, (_, i) => i);
    if (o.shuffle) o.shuffle.shuffle(order);
    const per = this.shape[0] * this.shape[1] * this.shape[2];
    for (let start = 0; start < this.size; start += o.batchSize) {
      const idx = order.slice(start, start + o.batchSize);
      const buf = new Float32Array(idx.length * per);
      const labels = new Int32Array(idx.length);
      idx.forEach((src, k) => {
        buf.set(this.data.subarray(src * per, (src + 1) * per), k * per);
        labels[k] = this.labels[src];
      });
      const x = tf.tensor4d(buf, [idx.length, ...this.shape]);
      const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), this.numClasses).toFloat() as tf.Tensor2D);
      yield { x, y, labels, ids: idx.map((i) => this.ids[i]) };
    }
  }
}
