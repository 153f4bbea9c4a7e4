// Pre-norm transformer blocks for ViT (on tokens) and CoAtNet (on feature maps).
import * as tf from '@tensorflow/tfjs';
import { LayerBuilder, type Act, type T } from './builder';
import { SelfAttention } from './layers/self-attention';

/** Heads of about 32 channels each (the CoAtNet/ViT head size), dividing `dim`. */
export function headsFor(dim: number, headDim = 32): number {
  for (let h = Math.max(1, Math.round(dim / headDim)); h > 1; h--) if (dim % h === 0) return h;
  return 1;
}

/** Source module paths of a block's parts, and its GELU form. */
export interface BlockSource { norm1?: string; attn?: string; norm2?: string; fc1?: string; fc2?: string; gelu?: Act; eps?: number }

/** x + MLP(LN(x)), hidden 4x with GELU; works on tokens [B,N,D] and maps [B,H,W,D]. */
export function mlpResidual(b: LayerBuilder, x: T, name: string, src: BlockSource = {}): T {
  const d = x.shape[x.shape.length - 1]!;
  let y = b.layerNorm(x, `${name}_norm2`, { eps: src.eps, src: src.norm2 });
  y = b.dense(y, `${name}_mlp_fc1`, 4 * d, { act: src.gelu ?? 'gelu', init: 'trunc', src: src.fc1 });
  y = b.dense(y, `${name}_mlp_fc2`, d, { init: 'trunc', src: src.fc2 });
  return b.add([x, y], `${name}_add2`);
}

/** ViT encoder block on tokens [B, N, D] (pre-norm, as torchvision's EncoderBlock). */
export function tokenBlock(b: LayerBuilder, x: T, name: string, heads: number, src: BlockSource = {}): T {
  let y = b.layerNorm(x, `${name}_norm1`, { eps: src.eps, src: src.norm1 });
  b.source(`${name}_attn`, src.attn);
  y = new SelfAttention({ name: `${name}_attn`, numHeads: heads, seed: b.seed(`${name}_attn`) }).apply(y) as T;
  x = b.add([x, y], `${name}_add1`);
  return mlpResidual(b, x, name, src);
}

/**
 * CoAtNet transformer block on a feature map [B, H, W, C]: relative
 * attention over the H*W tokens. With `downsample`, x <- Proj(Pool(x)) +
 * Attention(Pool(Norm(x))) as in the paper.
 */
export function mapBlock(b: LayerBuilder, x: T, name: string, out: number, downsample: boolean): T {
  let shortcut = x;
  let y = b.layerNorm(x, `${name}_norm1`);
  if (downsample) {
    const pool = (t: T, n: string) => tf.layers.maxPooling2d({ name: n, poolSize: 2, strides: 2, padding: 'same' }).apply(t) as T;
    shortcut = b.conv(pool(x, `${name}_short_pool`), `${name}_short_conv`, { filters: out, kernel: 1, bias: true });
    y = pool(y, `${name}_pool`);
  }
  const [, h, w, c] = y.shape as number[];
  y = tf.layers.reshape({ name: `${name}_tokens`, targetShape: [h * w, c] }).apply(y) as T;
  y = new SelfAttention({ name: `${name}_attn`, numHeads: headsFor(out), outDim: out, grid: [h, w], seed: b.seed(`${name}_attn`) }).apply(y) as T;
  y = tf.layers.reshape({ name: `${name}_map`, targetShape: [h, w, out] }).apply(y) as T;
  x = b.add([shortcut, y], `${name}_add1`);
  return mlpResidual(b, x, name);
}
