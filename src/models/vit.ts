// ViT-Tiny (Dosovitskiy et al. 2021; DeiT-Ti widths): patch embedding,
// learned position embedding, 12 pre-norm blocks of 3 heads, mean-pooled
// tokens (timm's global_pool='avg'; no class token). Patches of 16 px as
// vit_tiny_patch16 (a 4x4 token grid at 64 px); inputs under 64 px use
// size/4 so the grid stays 4x4. (wasm's batched matmul is a scalar loop, so
// attention cost grows fast with the token count.)
import * as tf from '@tensorflow/tfjs';
import { PlainConv2D } from './layers/plain-conv';
import { registerBackbone, type ResolvedBackboneOptions } from './registry';
import { LayerBuilder, type T } from './builder';
import { PositionEmbedding } from './layers/position-embedding';
import { tokenBlock } from './transformer-block';

export function vitTiny(o: ResolvedBackboneOptions): tf.LayersModel {
  const b = new LayerBuilder(o);
  const heads = 3;
  const dim = b.ch(192, 4 * heads);
  const [h, w] = o.inputShape;
  const patch = Math.min(16, Math.max(1, Math.floor(Math.min(h, w) / 4)));
  const input = b.input();
  let x = new PlainConv2D({ name: 'stem_patch', filters: dim, kernelSize: patch, strides: patch, padding: 'valid',
    kernelInitializer: b.truncNormal('stem_patch') }).apply(input) as T;
  const [, gh, gw] = x.shape as number[];
  x = tf.layers.reshape({ name: 'stem_tokens', targetShape: [gh * gw, dim] }).apply(x) as T;
  x = new PositionEmbedding({ name: 'stem_pos', seed: b.seed('stem_pos') }).apply(x) as T;
  for (let i = 0; i < 12; i++) x = tokenBlock(b, x, `stage${i + 1}`, heads);
  x = b.layerNorm(x, 'head_norm');
  x = tf.layers.globalAveragePooling1d({ name: 'features' }).apply(x) as T;
  return b.model(b.classifier(x), 'vit-tiny');
}

registerBackbone('vit-tiny', vitTiny, {
  description: 'ViT-Tiny: 16 px patches (input/4 under 64 px), 12 pre-norm blocks of 3 heads, dim 192 x width, mean-pooled tokens',
  defaultWidth: 0.25, aliases: ['vit_tiny'],
});
