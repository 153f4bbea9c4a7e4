// Multi-head self-attention over a token sequence [B, N, D] -> [B, N, outDim].
// TF.js layers has no attention layer. With `grid: [h, w]` the tokens are an
// h x w image and a learned relative-position bias per head is added to the
// attention logits (CoAtNet's relative attention). The bias is gathered with a
// constant one-hot matmul rather than tf.gather: wasm has no gradient kernel
// for gather (UnsortedSegmentSum).
import * as tf from '@tensorflow/tfjs';
import { singleInput, singleShape, type LayerArgs } from './common';
import { seedFrom } from '../../engine/random';

export interface SelfAttentionArgs extends LayerArgs {
  numHeads: number;
  /** Output width; default: the input width. */
  outDim?: number;
  /** Width of queries, keys and values (split into the heads); default: the output width (timm's expand_first), or the input width for timm's `_rw` CoAtNet (expand in the output projection). */
  attnDim?: number | null;
  /** Token grid [h, w] for a relative-position bias; omit for none. */
  grid?: [number, number] | null;
  seed: number;
}

/** One-hot [N*N, (2h-1)(2w-1)]: row (i, j) selects the offset between tokens i and j. */
export function relativePositionIndex(h: number, w: number): Float32Array {
  const n = h * w, t = (2 * h - 1) * (2 * w - 1);
  const out = new Float32Array(n * n * t);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const dy = Math.floor(i / w) - Math.floor(j / w) + h - 1;
      const dx = (i % w) - (j % w) + w - 1;
      out[(i * n + j) * t + dy * (2 * w - 1) + dx] = 1;
    }
  }
  return out;
}

export class SelfAttention extends tf.layers.Layer {
  static className = 'CellabSelfAttention';
  readonly numHeads: number;
  readonly outDim?: number;
  readonly attnDim: number | null;
  readonly grid: [number, number] | null;
  readonly seed: number;
  private w: Record<string, tf.LayerVariable> = {};
  private relIndex?: tf.Tensor2D;

  constructor(args: SelfAttentionArgs) {
    super(args);
    this.numHeads = args.numHeads;
    this.outDim = args.outDim;
    this.attnDim = args.attnDim ?? null;
    this.grid = args.grid ?? null;
    this.seed = args.seed;
  }

  private dims(inputShape: tf.Shape): { n: number; din: number; datt: number; dout: number } {
    const [, n, din] = inputShape;
    if (n == null || din == null) throw new Error(`SelfAttention '${this.name}' needs a known token count and width, got [${inputShape.join(', ')}]`);
    const dout = this.outDim ?? din;
    const datt = this.attnDim ?? dout;
    if (datt % this.numHeads !== 0) throw new Error(`SelfAttention '${this.name}': width ${datt} is not divisible by ${this.numHeads} heads`);
    return { n, din, datt, dout };
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    const { n, din, datt, dout } = this.dims(shape);
    const init = (part: string) => tf.initializers.glorotUniform({ seed: seedFrom(this.seed, part) });
    for (const p of ['query', 'key', 'value']) {
      this.w[`${p}_kernel`] = this.addWeight(`${p}/kernel`, [din, datt], 'float32', init(p));
      this.w[`${p}_bias`] = this.addWeight(`${p}/bias`, [datt], 'float32', tf.initializers.zeros());
    }
    this.w.out_kernel = this.addWeight('output/kernel', [datt, dout], 'float32', init('output'));
    this.w.out_bias = this.addWeight('output/bias', [dout], 'float32', tf.initializers.zeros());
    if (this.grid) {
      const [h, w] = this.grid;
      if (h * w !== n) throw new Error(`SelfAttention '${this.name}': grid ${h}x${w} does not match ${n} tokens`);
      const t = (2 * h - 1) * (2 * w - 1);
      this.w.rel = this.addWeight('relative_bias', [t, this.numHeads], 'float32', tf.initializers.truncatedNormal({ stddev: 0.02, seed: seedFrom(this.seed, 'rel') }));
      this.relIndex = tf.keep(tf.tensor2d(relativePositionIndex(h, w), [n * n, t]));
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const shape = singleShape(inputShape);
    return [shape[0], shape[1], this.outDim ?? shape[2]];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = singleInput(inputs) as tf.Tensor3D;
    return tf.tidy(() => {
      const [b, n, din] = x.shape;
      const dout = this.outDim ?? din;
      const datt = this.attnDim ?? dout;
      const h = this.numHeads, dk = datt / h;
      const flat = tf.reshape(x, [b * n, din]);
      const heads = (p: string) => {
        const y = tf.add(tf.matMul(flat, this.w[`${p}_kernel`].read() as tf.Tensor2D), this.w[`${p}_bias`].read());
        return tf.transpose(tf.reshape(y, [b, n, h, dk]), [0, 2, 1, 3]) as tf.Tensor4D;  // [B, H, N, dk]
      };
      const q = heads('query'), k = heads('key'), v = heads('value');
      let logits: tf.Tensor = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dk));   // [B, H, N, N]
      if (this.relIndex) {
        const bias = tf.matMul(this.relIndex, this.w.rel.read() as tf.Tensor2D);            // [N*N, H]
        logits = tf.add(logits, tf.transpose(tf.reshape(bias, [n, n, h]), [2, 0, 1]));
      }
      const att = tf.matMul(tf.softmax(logits), v);                                          // [B, H, N, dk]
      const merged = tf.reshape(tf.transpose(att, [0, 2, 1, 3]), [b * n, datt]);
      const out = tf.add(tf.matMul(merged, this.w.out_kernel.read() as tf.Tensor2D), this.w.out_bias.read());
      return tf.reshape(out, [b, n, dout]);
    });
  }

  override dispose(): ReturnType<tf.layers.Layer['dispose']> {
    const r = super.dispose();
    if (r.refCountAfterDispose === 0) { this.relIndex?.dispose(); this.relIndex = undefined; }
    return r;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), numHeads: this.numHeads, outDim: this.outDim ?? null, attnDim: this.attnDim, grid: this.grid, seed: this.seed };
  }
}
tf.serialization.registerClass(SelfAttention);
