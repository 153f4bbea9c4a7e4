// EfficientNet-B0..B7 (Tan & Le 2019) exactly as torchvision builds them:
// MBConv blocks with squeeze-excite (input channels // 4) and SiLU, 3x3/5x5
// depthwise kernels. The compound scaling rule: channels
// make_divisible(c x w, 8), repeats ceil(n x d), with (w, d) per variant;
// the last conv has 4 x the last stage's channels. B5-B7 use batch-norm eps
// 1e-3 (momentum 0.01) as torchvision's lukemelas ports. Module paths as
// torchvision (`features.2.1.block.1.0`). `width` multiplies the variant's own.
import * as tf from '@tensorflow/tfjs';
import { registerBackbone, type ResolvedBackboneOptions } from './registry';
import { LayerBuilder, poolFeatures } from './builder';
import { invertedResidual } from './inverted-residual';

/** [expansion, kernel, stride, in channels, out channels, repeats] per stage (B0). */
const B0: [number, number, number, number, number, number][] = [
  [1, 3, 1, 32, 16, 1], [6, 3, 2, 16, 24, 2], [6, 5, 2, 24, 40, 2], [6, 3, 2, 40, 80, 3], [6, 5, 1, 80, 112, 3], [6, 5, 2, 112, 192, 4], [6, 3, 1, 192, 320, 1],
];

/** [width multiplier, depth multiplier] of B0..B7 (torchvision's _efficientnet_conf). */
export const EFFICIENTNET_SCALING: [number, number][] = [[1.0, 1.0], [1.0, 1.1], [1.1, 1.2], [1.2, 1.4], [1.4, 1.8], [1.6, 2.2], [1.8, 2.6], [2.0, 3.1]];

export function efficientNet(variant: number) {
  const [wm, dm] = EFFICIENTNET_SCALING[variant];
  const norm = variant >= 5 ? { eps: 1e-3, momentum: 0.99 } : { eps: 1e-5, momentum: 0.9 };
  return (o: ResolvedBackboneOptions): tf.LayersModel => {
    const b = new LayerBuilder({ ...o, width: o.width * wm });
    const input = b.input();
    let x = b.convBnAct(input, 'stem', { filters: b.ch(32, 8), kernel: 3, stride: 2, act: 'swish', ...norm, src: ['features.0.0', 'features.0.1'] });
    B0.forEach(([e, k, s, , c, n], si) => {
      const repeats = Math.ceil(n * dm);
      for (let i = 0; i < repeats; i++) {
        x = invertedResidual(b, x, `stage${si + 1}_block${i + 1}`, { out: b.ch(c, 8), expand: e, kernel: k, stride: i === 0 ? s : 1, act: 'swish', se: 0.25,
          ...norm, src: { path: `features.${si + 1}.${i}`, layout: 'efficientnet' } });
      }
    });
    x = b.convBnAct(x, 'head', { filters: 4 * b.ch(320, 8), kernel: 1, act: 'swish', ...norm, src: ['features.8.0', 'features.8.1'] });
    return b.model(b.classifier(poolFeatures(x), { src: 'classifier.1' }), `efficientnet-b${variant}`);
  };
}

for (let v = 0; v < 8; v++) {
  const [wm, dm] = EFFICIENTNET_SCALING[v];
  registerBackbone(`efficientnet-b${v}`, efficientNet(v), {
    description: `EfficientNet-B${v} (torchvision): MBConv + squeeze-excite, SiLU; channels x ${wm}, repeats x ${dm}${v === 0 ? ', widths 16-320' : ''}`,
    defaultWidth: 1, aliases: [`efficientnet_b${v}`, ...(v === 0 ? ['efficientnet'] : [])],
  });
}
