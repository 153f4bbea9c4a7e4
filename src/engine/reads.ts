// THE RULE for code on the training or evaluation path (train/, eval callers
// in experiment/, models' layers, Grad-CAM): never read a tensor synchronously
// (dataSync, arraySync, bufferSync, or tfjs helpers that do). On the webgpu
// backend a synchronous read of device data throws (webgpu.ts), and on any GPU
// it would stall the device once per call. Instead keep per-batch numbers on
// the device (sum them there) and read once per epoch, or read asynchronously
// with `await tensor.data()`, issued as soon as the work is queued and awaited
// a step later (ReadQueue below), so the device never waits for JavaScript.
// Tensors made from JavaScript arrays (a batch's inputs) may still be read
// synchronously: their values never left the CPU. test/train/webgpu-training.test.ts
// and test/experiment/webgpu-run.test.ts run all this on webgpu, where a sync
// read fails the test.
import * as tf from '@tensorflow/tfjs';

export interface Read<M> {
  values: Float32Array | Int32Array | Uint8Array;
  meta: M;
}

/**
 * Reads of tensors queued on the device, awaited in order and `depth` reads
 * behind: push(t) starts reading t right away (so its copy is queued right
 * after the work that makes it) and returns the reads that are due. The
 * queue owns the pushed tensors and disposes them once read.
 */
export class ReadQueue<M = undefined> {
  private pending: { tensor: tf.Tensor; promise: Promise<Float32Array | Int32Array | Uint8Array>; meta: M }[] = [];

  constructor(private readonly depth = 1) {}

  get size(): number {
    return this.pending.length;
  }

  /** Queue a read of `t`; resolves with the reads that are more than `depth` behind. */
  async push(t: tf.Tensor, meta: M): Promise<Read<M>[]> {
    this.pending.push({ tensor: t, promise: t.data() as Promise<Float32Array | Int32Array | Uint8Array>, meta });
    const due: Read<M>[] = [];
    while (this.pending.length > this.depth) due.push(await this.shift());
    return due;
  }

  /** Every read still pending, in order. */
  async drain(): Promise<Read<M>[]> {
    const out: Read<M>[] = [];
    while (this.pending.length) out.push(await this.shift());
    return out;
  }

  /** Drop pending reads (on an error path). */
  dispose(): void {
    for (const p of this.pending) {
      p.promise.catch(() => undefined);
      p.tensor.dispose();
    }
    this.pending = [];
  }

  private async shift(): Promise<Read<M>> {
    const p = this.pending.shift()!;
    try {
      return { values: await p.promise, meta: p.meta };
    } finally {
      p.tensor.dispose();
    }
  }
}

/** One asynchronous read of a scalar (for code that needs a single value now). */
export async function readScalar(t: tf.Tensor): Promise<number> {
  return (await t.data())[0];
}
