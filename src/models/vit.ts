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
import { ClassToken, TakeClassToken } from './layers/class-token';
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
  defaultWidth: 1, aliases: ['vit_tiny'],
});

/**
 * ViT-B/16 exactly as torchvision builds it: 16x16/16 patch embedding, a class
 * token, learned position embeddings (for the input size built: torchvision's
 * `image_size`), 12 pre-norm encoder blocks of 12 heads (LayerNorm eps 1e-6,
 * exact GELU at width 1), the class token's final LayerNorm output ->
 * classifier. Module paths as torchvision (`encoder.layers.encoder_layer_0.self_attention`).
 * The published weights are for 224 px (14x14 patches + 1 token).
 */
export function vitB16(o: ResolvedBackboneOptions): tf.LayersModel {
  const b = new LayerBuilder(o);
  const heads = 12;
  const dim = b.ch(768, 4 * heads);
  const gelu = o.width === 1 ? 'gelu-exact' : 'gelu';
  const input = b.input();
  b.source('stem_patch', 'conv_proj');
  let x = new PlainConv2D({ name: 'stem_patch', filters: dim, kernelSize: 16, strides: 16, padding: 'valid',
    kernelInitializer: b.truncNormal('stem_patch') }).apply(input) as T;
  const [, gh, gw] = x.shape as number[];
  if (!(gh > 0 && gw > 0)) throw new Error(`input ${o.inputShape.join('x')} is smaller than one 16x16 patch`);
  x = tf.layers.reshape({ name: 'stem_tokens', targetShape: [gh * gw, dim] }).apply(x) as T;
  b.source('stem_class_token', 'class_token');
  x = new ClassToken({ name: 'stem_class_token', seed: b.seed('stem_class_token') }).apply(x) as T;
  b.source('stem_pos', 'encoder.pos_embedding');
  x = new PositionEmbedding({ name: 'stem_pos', seed: b.seed('stem_pos') }).apply(x) as T;
  for (let i = 0; i < 12; i++) {
    const p = `encoder.layers.encoder_layer_${i}`;
    x = tokenBlock(b, x, `stage${i + 1}`, heads, { norm1: `${p}.ln_1`, attn: `${p}.self_attention`, norm2: `${p}.ln_2`, fc1: `${p}.mlp.0`, fc2: `${p}.mlp.3`, gelu, eps: 1e-6 });
  }
  x = b.layerNorm(x, 'head_norm', { eps: 1e-6, src: 'encoder.ln' });
  x = new TakeClassToken({ name: 'features' }).apply(x) as T;
  return b.model(b.classifier(x, { src: 'heads.head' }), 'vit-b-16');
}

registerBackbone('vit-b-16', vitB16, {
  description: 'ViT-B/16 (torchvision): 16 px patches, class token, 12 pre-norm blocks of 12 heads, dim 768 x width; position embeddings sized for the input (224 px for the published weights)',
  defaultWidth: 1, aliases: ['vit_b_16'],
});
