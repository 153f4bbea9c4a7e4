// ConvNeXt (Liu et al. 2022): 4x4/4 patchify stem + LayerNorm, blocks of
// depthwise 7x7 -> LayerNorm -> 4x MLP with GELU -> layer scale, LayerNorm +
// 2x2/2 downsampling between stages, pooled features -> LayerNorm -> classifier.
// `convnext-tiny` records torchvision's module paths (`features.1.0.block.3`),
// `convnext-atto` timm's (`stages.0.blocks.0.mlp.fc1`; timm builds atto with
// conv_mlp: its MLP is 1x1 convs, the same computation as our dense layers on
// NHWC, loaded through the linear layout). LayerNorm eps 1e-6 as both.
// GELU: at width 1 (the published nets) the exact erf form of nn.GELU; at
// other widths the tanh form, which is ~3x cheaper on wasm (within 5e-4).
import * as tf from '@tensorflow/tfjs';
import { registerBackbone, type ResolvedBackboneOptions } from './registry';
import { LayerBuilder, type T } from './builder';

type Layout = 'torchvision' | 'timm';

/** Source module paths of one layout. `s` is the 0-based stage, `i` the 0-based block. */
const PATHS: Record<Layout, {
  stem: [string, string]; down: (s: number) => [string, string]; block: (s: number, i: number) => { dw: string; norm: string; fc1: string; fc2: string; scale: string };
  norm: string; fc: string;
}> = {
  torchvision: {
    stem: ['features.0.0', 'features.0.1'],
    down: (s) => [`features.${2 * s}.0`, `features.${2 * s}.1`],
    block: (s, i) => {
      const p = `features.${2 * s + 1}.${i}`;
      return { dw: `${p}.block.0`, norm: `${p}.block.2`, fc1: `${p}.block.3`, fc2: `${p}.block.5`, scale: `${p}.layer_scale` };
    },
    norm: 'classifier.0', fc: 'classifier.2',
  },
  timm: {
    stem: ['stem.0', 'stem.1'],
    down: (s) => [`stages.${s}.downsample.0`, `stages.${s}.downsample.1`],
    block: (s, i) => {
      const p = `stages.${s}.blocks.${i}`;
      return { dw: `${p}.conv_dw`, norm: `${p}.norm`, fc1: `${p}.mlp.fc1`, fc2: `${p}.mlp.fc2`, scale: `${p}.gamma` };
    },
    norm: 'head.norm', fc: 'head.fc',
  },
};

function convnext(dims: number[], depths: number[], name: string, layout: Layout) {
  const paths = PATHS[layout];
  return (o: ResolvedBackboneOptions): tf.LayersModel => {
    const b = new LayerBuilder(o);
    const gelu = o.width === 1 ? 'gelu-exact' : 'gelu';
    const input = b.input();
    let x = b.conv(input, 'stem_conv', { filters: b.ch(dims[0]), kernel: 4, stride: 4, bias: true, padding: 'valid', src: paths.stem[0] });
    x = b.layerNorm(x, 'stem_norm', { src: paths.stem[1] });
    depths.forEach((n, s) => {
      const c = b.ch(dims[s]);
      const stage = `stage${s + 1}`;
      if (s > 0) {
        const [norm, conv] = paths.down(s);
        x = b.layerNorm(x, `${stage}_down_norm`, { src: norm });
        x = b.conv(x, `${stage}_down_conv`, { filters: c, kernel: 2, stride: 2, bias: true, padding: 'valid', src: conv });
      }
      for (let i = 0; i < n; i++) {
        const blk = `${stage}_block${i + 1}`;
        const p = paths.block(s, i);
        let y = b.depthwise(x, `${blk}_dw_conv`, { kernel: 7, bias: true, src: p.dw });
        y = b.layerNorm(y, `${blk}_norm`, { src: p.norm });
        y = b.dense(y, `${blk}_mlp_fc1`, 4 * c, { act: gelu, init: 'trunc', src: p.fc1 });
        y = b.dense(y, `${blk}_mlp_fc2`, c, { init: 'trunc', src: p.fc2 });
        y = b.layerScale(y, `${blk}_scale`, 1e-6, p.scale);
        x = b.add([x, y], `${blk}_add`);
      }
    });
    x = tf.layers.globalAveragePooling2d({ name: 'head_pool' }).apply(x) as T;
    x = b.layerNorm(x, 'features', { src: paths.norm });
    return b.model(b.classifier(x, { src: paths.fc }), name);
  };
}

registerBackbone('convnext-atto', convnext([40, 80, 160, 320], [2, 2, 6, 2], 'convnext-atto', 'timm'), {
  description: 'ConvNeXt-Atto (timm, conv_mlp): depthwise 7x7, LayerNorm, GELU MLP, layer scale; depths [2,2,6,2], widths 40-320 x width',
  defaultWidth: 1, aliases: ['convnext', 'convnext_atto'],
});
registerBackbone('convnext-tiny', convnext([96, 192, 384, 768], [3, 3, 9, 3], 'convnext-tiny', 'torchvision'), {
  description: 'ConvNeXt-Tiny (torchvision): depthwise 7x7, LayerNorm, GELU MLP, layer scale; depths [3,3,9,3], widths 96-768 x width',
  defaultWidth: 1, aliases: ['convnext_tiny'],
});
