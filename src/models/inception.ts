// Inception v1 / GoogLeNet (Szegedy et al. 2015) as torchvision builds it
// (batch norm after every conv, the "5x5" branch as a 3x3), without the
// auxiliary classifiers.
import * as tf from '@tensorflow/tfjs';
import { registerBackbone, type ResolvedBackboneOptions } from './registry';
import { LayerBuilder, poolFeatures, type T } from './builder';

/** [1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5, pool proj] per module. */
type Module = [number, number, number, number, number, number];
const STAGES: { name: string; modules: Module[] }[] = [
  { name: '3', modules: [[64, 96, 128, 16, 32, 32], [128, 128, 192, 32, 96, 64]] },
  { name: '4', modules: [[192, 96, 208, 16, 48, 64], [160, 112, 224, 24, 64, 64], [128, 128, 256, 24, 64, 64], [112, 144, 288, 32, 64, 64], [256, 160, 320, 32, 128, 128]] },
  { name: '5', modules: [[256, 160, 320, 32, 128, 128], [384, 192, 384, 48, 128, 128]] },
];

function maxPool(x: T, name: string, stride: number): T {
  return tf.layers.maxPooling2d({ name, poolSize: 3, strides: stride, padding: 'same' }).apply(x) as T;
}

function inceptionModule(b: LayerBuilder, x: T, name: string, m: Module): T {
  const [c1, r3, c3, r5, c5, pp] = m.map((c) => b.ch(c));
  const b1 = b.convBnAct(x, `${name}_b1`, { filters: c1, kernel: 1 });
  const b2 = b.convBnAct(b.convBnAct(x, `${name}_b2_reduce`, { filters: r3, kernel: 1 }), `${name}_b2`, { filters: c3, kernel: 3 });
  const b3 = b.convBnAct(b.convBnAct(x, `${name}_b3_reduce`, { filters: r5, kernel: 1 }), `${name}_b3`, { filters: c5, kernel: 3 });
  const b4 = b.convBnAct(maxPool(x, `${name}_b4_pool`, 1), `${name}_b4`, { filters: pp, kernel: 1 });
  return tf.layers.concatenate({ name: `${name}_concat`, axis: -1 }).apply([b1, b2, b3, b4]) as T;
}

export function inceptionV1(o: ResolvedBackboneOptions): tf.LayersModel {
  const b = new LayerBuilder(o);
  const input = b.input();
  let x = b.convBnAct(input, 'stem_1', { filters: b.ch(64), kernel: 7, stride: 2 });
  x = maxPool(x, 'stem_pool1', 2);
  x = b.convBnAct(x, 'stem_2', { filters: b.ch(64), kernel: 1 });
  x = b.convBnAct(x, 'stem_3', { filters: b.ch(192), kernel: 3 });
  x = maxPool(x, 'stem_pool2', 2);
  STAGES.forEach((st, s) => {
    const stage = `stage${s + 1}`;
    if (s > 0) x = maxPool(x, `${stage}_pool`, 2);
    st.modules.forEach((m, i) => { x = inceptionModule(b, x, `${stage}_${st.name}${'abcde'[i]}`, m); });
  });
  return b.model(b.classifier(poolFeatures(x)), 'inception');
}

registerBackbone('inception', inceptionV1, {
  description: 'Inception v1 (GoogLeNet): 9 inception modules (1x1, 3x3, 3x3 in place of 5x5 as torchvision, pool branches) with batch norm, widths x width',
  defaultWidth: 0.25, aliases: ['googlenet', 'inception-v1'],
});
