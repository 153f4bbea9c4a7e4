// ConvNeXt (Liu et al. 2022): 4x4/4 patchify stem, blocks of depthwise 7x7 ->
// LayerNorm -> 4x MLP with GELU -> layer scale, LayerNorm + 2x2/2 downsampling
// between stages. `convnext-atto` (timm's smallest) and `convnext-tiny`.
import * as tf from '@tensorflow/tfjs';
import { registerBackbone, type ResolvedBackboneOptions } from './registry';
import { LayerBuilder, type T } from './builder';

function convnext(dims: number[], depths: number[], name: string) {
  return (o: ResolvedBackboneOptions): tf.LayersModel => {
    const b = new LayerBuilder(o);
    const input = b.input();
    let x = b.conv(input, 'stem_conv', { filters: b.ch(dims[0]), kernel: 4, stride: 4, bias: true, padding: 'valid' });
    x = b.layerNorm(x, 'stem_norm');
    depths.forEach((n, s) => {
      const c = b.ch(dims[s]);
      const stage = `stage${s + 1}`;
      if (s > 0) {
        x = b.layerNorm(x, `${stage}_down_norm`);
        x = b.conv(x, `${stage}_down_conv`, { filters: c, kernel: 2, stride: 2, bias: true, padding: 'valid' });
      }
      for (let i = 0; i < n; i++) {
        const blk = `${stage}_block${i + 1}`;
        let y = b.depthwise(x, `${blk}_dw_conv`, { kernel: 7, bias: true });
        y = b.layerNorm(y, `${blk}_norm`);
        y = b.dense(y, `${blk}_mlp_fc1`, 4 * c, { act: 'gelu', init: 'trunc' });
        y = b.dense(y, `${blk}_mlp_fc2`, c, { init: 'trunc' });
        y = b.layerScale(y, `${blk}_scale`);
        x = b.add([x, y], `${blk}_add`);
      }
    });
    x = tf.layers.globalAveragePooling2d({ name: 'head_pool' }).apply(x) as T;
    x = b.layerNorm(x, 'features');
    return b.model(b.classifier(x), name);
  };
}

registerBackbone('convnext-atto', convnext([40, 80, 160, 320], [2, 2, 6, 2], 'convnext-atto'), {
  description: 'ConvNeXt-Atto: depthwise 7x7, LayerNorm, GELU MLP, layer scale; depths [2,2,6,2], widths 40-320 x width',
  defaultWidth: 0.5, aliases: ['convnext', 'convnext_atto'],
});
registerBackbone('convnext-tiny', convnext([96, 192, 384, 768], [3, 3, 9, 3], 'convnext-tiny'), {
  description: 'ConvNeXt-Tiny: depthwise 7x7, LayerNorm, GELU MLP, layer scale; depths [3,3,9,3], widths 96-768 x width',
  defaultWidth: 0.125, aliases: ['convnext_tiny'],
});
