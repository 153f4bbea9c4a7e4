// MobileNetV2 (Sandler et al. 2018): inverted residuals with linear
// bottlenecks and ReLU6, the torchvision configuration.
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
  let x = b.convBnAct(input, 'stem', { filters: b.ch(32), kernel: 3, stride: 2, act: 'relu6' });
  STAGES.forEach(([t, c, n, s], si) => {
    for (let i = 0; i < n; i++) {
      x = invertedResidual(b, x, `stage${si + 1}_block${i + 1}`, { out: b.ch(c), expand: t, kernel: 3, stride: i === 0 ? s : 1, act: 'relu6' });
    }
  });
  // The last 1x1 conv keeps 1280 channels below width 1 in the reference; scaled here so it stays small.
  x = b.convBnAct(x, 'head', { filters: b.ch(1280), kernel: 1, act: 'relu6' });
  return b.model(b.classifier(poolFeatures(x)), 'mobilenetv2');
}

registerBackbone('mobilenetv2', mobilenetV2, {
  description: 'MobileNetV2: inverted residuals (t=6) with linear bottlenecks, ReLU6, 17 blocks, widths 16-320 x width',
  defaultWidth: 0.25,
});
