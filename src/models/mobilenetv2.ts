// MobileNetV2 (Sandler et al. 2018) exactly as torchvision builds it:
// inverted residuals with linear bottlenecks and ReLU6, channels
// make_divisible(c x width, 8), the last 1x1 conv at 1280 x max(1, width).
// Layers record torchvision's module paths (`features.3.conv.1.0`).
import * as tf from '@tensorflow/tfjs';
import { registerBackbone, type ResolvedBackboneOptions } from './registry';
import { LayerBuilder, poolFeatures } from './builder';
import { invertedResidual } from './inverted-residual';

/** [expansion t, channels c, repeats n, stride s] per stage. */
const STAGES: [number, number, number, number][] = [
  [1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1],
];

export function mobilenetV2(o: ResolvedBackboneOptions): tf.LayersModel {
  const b = new LayerBuilder(o);
  const input = b.input();
  let x = b.convBnAct(input, 'stem', { filters: b.ch(32, 8), kernel: 3, stride: 2, act: 'relu6', src: ['features.0.0', 'features.0.1'] });
  let f = 1;
  STAGES.forEach(([t, c, n, s], si) => {
    for (let i = 0; i < n; i++, f++) {
      x = invertedResidual(b, x, `stage${si + 1}_block${i + 1}`, { out: b.ch(c, 8), expand: t, kernel: 3, stride: i === 0 ? s : 1, act: 'relu6',
        src: { path: `features.${f}`, layout: 'mobilenetv2' } });
    }
  });
  const last = Math.max(1280, b.ch(1280, 8));
  x = b.convBnAct(x, 'head', { filters: last, kernel: 1, act: 'relu6', src: [`features.${f}.0`, `features.${f}.1`] });
  return b.model(b.classifier(poolFeatures(x), { src: 'classifier.1' }), 'mobilenetv2');
}

registerBackbone('mobilenetv2', mobilenetV2, {
  description: 'MobileNetV2 (torchvision): inverted residuals (t=6) with linear bottlenecks, ReLU6, 17 blocks, widths 16-320 x width, last conv 1280',
  defaultWidth: 1, aliases: ['mobilenet_v2', 'mobilenet-v2'],
});
