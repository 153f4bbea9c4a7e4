// GoogLeNet / Inception v1 (Szegedy et al. 2015) exactly as torchvision builds
// it: batch norm (eps 1e-3) after every conv, the "5x5" branch as a 3x3 (as
// torchvision's weights have it), ceil_mode max-pools, no auxiliary
// classifiers (torchvision drops them at inference; their keys in a file are
// ignored). Module paths as torchvision (`inception4a.branch2.1.conv`).
// Freeze presets are the three depths of the HEp-2 intensity study (MATLAB's
// 144-layer GoogLeNet with 11 / 110 / 139 layers frozen): soft = the stem (up
// to pool2), medium = through inception 4e, hard = every layer but the
// classifier.
import * as tf from '@tensorflow/tfjs';
import { registerBackbone, type ResolvedBackboneOptions } from './registry';
import { LayerBuilder, poolFeatures, type T } from './builder';
import { registerFreezePresets } from './freeze';

/** [1x1, 3x3 reduce, 3x3, 5x5 reduce, 5x5 (a 3x3), pool proj] per module. */
type Module = [number, number, number, number, number, number];
const STAGES: { name: string; modules: Module[] }[] = [
  { name: '3', modules: [[64, 96, 128, 16, 32, 32], [128, 128, 192, 32, 96, 64]] },
  { name: '4', modules: [[192, 96, 208, 16, 48, 64], [160, 112, 224, 24, 64, 64], [128, 128, 256, 24, 64, 64], [112, 144, 288, 32, 64, 64], [256, 160, 320, 32, 128, 128]] },
  { name: '5', modules: [[256, 160, 320, 32, 128, 128], [384, 192, 384, 48, 128, 128]] },
];

const EPS = 1e-3;

/** torchvision's BasicConv2d: conv (no bias) -> BN(eps 1e-3) -> ReLU; `src` the module (`.conv`, `.bn` inside). */
function basic(b: LayerBuilder, x: T, name: string, a: { filters: number; kernel: number; stride?: number }, src: string): T {
  return b.convBnAct(x, name, { ...a, eps: EPS, src: [`${src}.conv`, `${src}.bn`] });
}

function inceptionModule(b: LayerBuilder, x: T, name: string, m: Module, src: string): T {
  const [c1, r3, c3, r5, c5, pp] = m.map((c) => b.ch(c));
  const b1 = basic(b, x, `${name}_b1`, { filters: c1, kernel: 1 }, `${src}.branch1`);
  const b2 = basic(b, basic(b, x, `${name}_b2_reduce`, { filters: r3, kernel: 1 }, `${src}.branch2.0`), `${name}_b2`, { filters: c3, kernel: 3 }, `${src}.branch2.1`);
  const b3 = basic(b, basic(b, x, `${name}_b3_reduce`, { filters: r5, kernel: 1 }, `${src}.branch3.0`), `${name}_b3`, { filters: c5, kernel: 3 }, `${src}.branch3.1`);
  const pooled = b.maxPool(x, `${name}_b4_pool`, { kernel: 3, stride: 1, padding: 1, ceil: true });
  const b4 = basic(b, pooled, `${name}_b4`, { filters: pp, kernel: 1 }, `${src}.branch4.1`);
  return tf.layers.concatenate({ name: `${name}_concat`, axis: -1 }).apply([b1, b2, b3, b4]) as T;
}

export function googlenet(o: ResolvedBackboneOptions): tf.LayersModel {
  const b = new LayerBuilder(o);
  const input = b.input();
  let x = basic(b, input, 'stem_1', { filters: b.ch(64), kernel: 7, stride: 2 }, 'conv1');
  x = b.maxPool(x, 'stem_pool1', { kernel: 3, stride: 2, ceil: true });
  x = basic(b, x, 'stem_2', { filters: b.ch(64), kernel: 1 }, 'conv2');
  x = basic(b, x, 'stem_3', { filters: b.ch(192), kernel: 3 }, 'conv3');
  x = b.maxPool(x, 'stem_pool2', { kernel: 3, stride: 2, ceil: true });
  STAGES.forEach((st, s) => {
    const stage = `stage${s + 1}`;
    if (s === 1) x = b.maxPool(x, `${stage}_pool`, { kernel: 3, stride: 2, ceil: true });
    if (s === 2) x = b.maxPool(x, `${stage}_pool`, { kernel: 2, stride: 2, ceil: true });
    st.modules.forEach((m, i) => {
      const id = `${st.name}${'abcde'[i]}`;
      x = inceptionModule(b, x, `${stage}_${id}`, m, `inception${id}`);
    });
  });
  return b.model(b.classifier(poolFeatures(x), { src: 'fc' }), 'googlenet');
}

registerBackbone('googlenet', googlenet, {
  description: 'GoogLeNet / Inception v1 (torchvision): 9 inception modules (1x1, 3x3, 3x3 in place of 5x5, pool branches), BN eps 1e-3, no aux heads; widths x width',
  defaultWidth: 1, aliases: ['inception', 'inception-v1', 'inception_v1'],
});
registerFreezePresets('googlenet', { soft: ['stem'], medium: ['stem', 'stage1', 'stage2'], hard: ['stem', 'stage1', 'stage2', 'stage3'] });
