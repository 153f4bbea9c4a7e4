// CoAtNet-0 (Dai et al. 2021) as timm's `coatnet_0_rw_224` builds it: a
// 3x3/2 conv stem (32 -> 64), two stages of MBConv blocks (pre-norm BN +
// SiLU, 2x2 average-pool downsampling, expansion 4 from the input width,
// squeeze-excite with ReLU between the depthwise conv and its norm, no output
// bias), then two stages of transformer blocks on the feature map (LayerNorm
// eps 1e-6, relative-position-biased attention of 32-channel heads at the
// input width with the expansion in the output projection, 4x MLP with GELU),
// depths [2, 3, 7, 2], widths 96-768; LayerNorm on the final map, average
// pool, classifier. Module paths as timm (`stages.2.blocks.0.attn.qkv`).
// The relative-position tables are sized for the input (7x7 tokens in the
// last stage at 224 px): published weights load at 224 px.
// GELU: exact at width 1, the tanh form at other widths (faster on wasm).
import * as tf from '@tensorflow/tfjs';
import { registerBackbone, type ResolvedBackboneOptions } from './registry';
import { LayerBuilder, type Act, type T } from './builder';
import { SelfAttention } from './layers/self-attention';

const avgPool2 = (x: T, name: string) => tf.layers.averagePooling2d({ name, poolSize: 2, strides: 2, padding: 'valid' }).apply(x) as T;

/** timm's make_divisible(v, 8). */
function divisible(v: number, d = 8): number {
  const r = Math.max(d, Math.floor(v + d / 2) - (Math.floor(v + d / 2) % d));
  return r < 0.9 * v ? r + d : r;
}

function mbconv(b: LayerBuilder, x: T, name: string, out: number, stride: number, src: string): T {
  const inC = x.shape[3]!;
  const mid = divisible(inC * 4);
  let shortcut = x;
  if (stride === 2) {
    shortcut = avgPool2(x, `${name}_short_pool`);
    if (inC !== out) shortcut = b.conv(shortcut, `${name}_short_conv`, { filters: out, kernel: 1, src: `${src}.shortcut.expand` });
  }
  let y = b.act(b.bn(x, `${name}_prenorm`, { src: `${src}.pre_norm` }), `${name}_prenorm_act`, 'swish');
  if (stride === 2) y = avgPool2(y, `${name}_pool`);
  y = b.convBnAct(y, `${name}_expand`, { filters: mid, kernel: 1, act: 'swish', src: [`${src}.conv1_1x1`, `${src}.norm1`] });
  y = b.depthwise(y, `${name}_dw_conv`, { kernel: 3, src: `${src}.conv2_kxk` });
  y = b.squeezeExcite(y, `${name}_se`, Math.floor(0.25 * mid), 'relu', `${src}.se_early`);
  y = b.act(b.bn(y, `${name}_dw_bn`, { src: `${src}.norm2` }), `${name}_dw_act`, 'swish');
  y = b.conv(y, `${name}_project_conv`, { filters: out, kernel: 1, src: `${src}.conv3_1x1` });
  return b.add([y, shortcut], `${name}_add`);
}

function transformer(b: LayerBuilder, x: T, name: string, out: number, stride: number, src: string, gelu: Act): T {
  const inC = x.shape[3]!;
  let shortcut = x;
  let y: T;
  if (stride === 2) {
    shortcut = avgPool2(x, `${name}_short_pool`);
    if (inC !== out) shortcut = b.conv(shortcut, `${name}_short_conv`, { filters: out, kernel: 1, src: `${src}.shortcut.expand` });
    y = avgPool2(b.layerNorm(x, `${name}_norm1`, { src: `${src}.norm1.norm` }), `${name}_pool`);
  } else {
    y = b.layerNorm(x, `${name}_norm1`, { src: `${src}.norm1` });
  }
  const [, h, w] = y.shape as number[];
  y = tf.layers.reshape({ name: `${name}_tokens`, targetShape: [h * w, inC] }).apply(y) as T;
  b.source(`${name}_attn`, `${src}.attn#head-first`);
  y = new SelfAttention({ name: `${name}_attn`, numHeads: Math.max(1, Math.round(inC / 32)), attnDim: inC, outDim: out, grid: [h, w], seed: b.seed(`${name}_attn`) }).apply(y) as T;
  y = tf.layers.reshape({ name: `${name}_map`, targetShape: [h, w, out] }).apply(y) as T;
  x = b.add([shortcut, y], `${name}_add1`);
  let m = b.layerNorm(x, `${name}_norm2`, { src: `${src}.norm2` });
  m = b.dense(m, `${name}_mlp_fc1`, 4 * out, { act: gelu, init: 'trunc', src: `${src}.mlp.fc1` });
  m = b.dense(m, `${name}_mlp_fc2`, out, { init: 'trunc', src: `${src}.mlp.fc2` });
  return b.add([x, m], `${name}_add2`);
}

export function coatnet0(o: ResolvedBackboneOptions): tf.LayersModel {
  const b = new LayerBuilder(o);
  const gelu: Act = o.width === 1 ? 'gelu-exact' : 'gelu';
  const input = b.input();
  let x = b.convBnAct(input, 'stem_1', { filters: b.ch(32), kernel: 3, stride: 2, act: 'swish', src: ['stem.conv1', 'stem.norm1'] });
  x = b.conv(x, 'stem_2_conv', { filters: b.ch(64), kernel: 3, src: 'stem.conv2' });
  const depths = [2, 3, 7, 2], dims = [96, 192, 384, 768];
  depths.forEach((n, s) => {
    // Attention widths split into 32-channel heads: multiples of 32.
    const c = s < 2 ? b.ch(dims[s]) : b.ch(dims[s], 32);
    for (let i = 0; i < n; i++) {
      const name = `stage${s + 1}_block${i + 1}`;
      const src = `stages.${s}.blocks.${i}`;
      x = s < 2 ? mbconv(b, x, name, c, i === 0 ? 2 : 1, src) : transformer(b, x, name, c, i === 0 ? 2 : 1, src, gelu);
    }
  });
  x = b.layerNorm(x, 'head_norm', { src: 'norm' });
  x = tf.layers.globalAveragePooling2d({ name: 'features' }).apply(x) as T;
  return b.model(b.classifier(x, { src: 'head.fc' }), 'coatnet-0');
}

registerBackbone('coatnet-0', coatnet0, {
  description: 'CoAtNet-0 (timm coatnet_0_rw_224): conv stem, 2 MBConv stages, 2 relative-attention transformer stages [2,3,7,2], widths 96-768 x width; inputs a multiple of 32 (224 for the published weights)',
  defaultWidth: 1, aliases: ['coatnet', 'coatnet_0', 'coatnet_0_rw_224'],
});
