// EfficientNet-B0 (Tan & Le 2019): MBConv blocks with squeeze-excite (0.25)
// and SiLU, 3x3/5x5 depthwise kernels; depth and resolution of B0.
import * as tf from '@tensorflow/tfjs';
import { registerBackbone, type ResolvedBackboneOptions } from './registry';
import { LayerBuilder, poolFeatures } from './builder';
import { invertedResidual } from './inverted-residual';

/** [expansion, kernel, stride, channels, repeats] per stage. */
const B0: [number, number, number, number, number][] = [
  [1, 3, 1, 16, 1], [6, 3, 2, 24, 2], [6, 5, 2, 40, 2], [6, 3, 2, 80, 3], [6, 5, 1, 112, 3], [6, 5, 2, 192, 4], [6, 3, 1, 320, 1],
];

export function efficientNetB0(o: ResolvedBackboneOptions): tf.LayersModel {
  const b = new LayerBuilder(o);
  const input = b.input();
  let x = b.convBnAct(input, 'stem', { filters: b.ch(32), kernel: 3, stride: 2, act: 'swish' });
  B0.forEach(([e, k, s, c, n], si) => {
    for (let i = 0; i < n; i++) {
      x = invertedResidual(b, x, `stage${si + 1}_block${i + 1}`, { out: b.ch(c), expand: e, kernel: k, stride: i === 0 ? s : 1, act: 'swish', se: 0.25 });
    }
  });
  x = b.convBnAct(x, 'head', { filters: b.ch(1280), kernel: 1, act: 'swish' });
  return b.model(b.classifier(poolFeatures(x)), 'efficientnet-b0');
}

registerBackbone('efficientnet-b0', efficientNetB0, {
  description: 'EfficientNet-B0: 16 MBConv blocks with squeeze-excite and SiLU, 3x3/5x5 depthwise, widths 16-320 x width',
  defaultWidth: 0.25, aliases: ['efficientnet_b0'],
});
