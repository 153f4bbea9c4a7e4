// CoAtNet-0 (Dai et al. 2021): a conv stem, two stages of MBConv blocks, then
// two stages of transformer blocks with relative attention (C-C-T-T).
import * as tf from '@tensorflow/tfjs';
import { registerBackbone, type ResolvedBackboneOptions } from './registry';
import { LayerBuilder, type T } from './builder';
import { invertedResidual } from './inverted-residual';
import { headsFor, mapBlock } from './transformer-block';

export function coatnet0(o: ResolvedBackboneOptions): tf.LayersModel {
  const b = new LayerBuilder(o);
  const input = b.input();
  let x = b.convBnAct(input, 'stem_1', { filters: b.ch(64), kernel: 3, stride: 2, act: 'gelu' });
  x = b.conv(x, 'stem_2_conv', { filters: b.ch(64), kernel: 3, bias: true });
  const depths = [2, 3, 5, 2], dims = [96, 192, 384, 768];
  depths.forEach((n, s) => {
    // Attention widths must split into heads: round them to a multiple of 8.
    const c = s < 2 ? b.ch(dims[s]) : b.ch(dims[s], 8);
    for (let i = 0; i < n; i++) {
      const blk = `stage${s + 1}_block${i + 1}`;
      x = s < 2
        ? invertedResidual(b, x, blk, { out: c, expand: 4, kernel: 3, stride: i === 0 ? 2 : 1, act: 'gelu', se: 0.25, preNorm: true })
        : mapBlock(b, x, blk, c, i === 0);
    }
  });
  x = tf.layers.globalAveragePooling2d({ name: 'head_pool' }).apply(x) as T;
  x = b.layerNorm(x, 'features');
  return b.model(b.classifier(x), 'coatnet-0');
}

registerBackbone('coatnet-0', coatnet0, {
  description: 'CoAtNet-0: conv stem, 2 MBConv stages, 2 relative-attention transformer stages [2,3,5,2], widths 96-768 x width',
  defaultWidth: 0.125, aliases: ['coatnet', 'coatnet_0'],
});

