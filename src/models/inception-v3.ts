// Inception v3 (Szegedy et al. 2016) exactly as torchvision builds it:
// BasicConv2d (conv, BN eps 1e-3, ReLU) everywhere, factorised 1x7/7x1 and
// 1x3/3x1 convolutions, average-pool branches counting the zero padding
// (F.avg_pool2d's default), no auxiliary classifier (its `AuxLogits.*` keys
// are ignored). Module paths as torchvision (`Mixed_6b.branch7x7_2.conv`).
// Inputs from 75 px; the published weights expect 299 px and (x - 0.5) / 0.5.
import * as tf from '@tensorflow/tfjs';
import { registerBackbone, type ResolvedBackboneOptions } from './registry';
import { LayerBuilder, poolFeatures, type T } from './builder';

const EPS = 1e-3;

type K = number | [number, number];

export function inceptionV3(o: ResolvedBackboneOptions): tf.LayersModel {
  const b = new LayerBuilder(o);
  const c = (n: number) => b.ch(n);
  /** BasicConv2d: `padding` 'valid' for torchvision's padding=0 at k > 1, else PyTorch's symmetric (k-1)/2. */
  const conv = (x: T, name: string, src: string, filters: number, kernel: K, a: { stride?: number; valid?: boolean } = {}) =>
    b.convBnAct(x, name, { filters, kernel, stride: a.stride, padding: a.valid ? 'valid' : 'same', eps: EPS, src: [`${src}.conv`, `${src}.bn`] });
  const avgPool = (x: T, name: string) =>
    tf.layers.averagePooling2d({ name, poolSize: 3, strides: 1, padding: 'valid' }).apply(b.pad(x, `${name}_pad`, [1, 1])) as T;
  const maxPool = (x: T, name: string) => b.maxPool(x, name, { kernel: 3, stride: 2 });
  const cat = (xs: T[], name: string) => tf.layers.concatenate({ name, axis: -1 }).apply(xs) as T;

  const blockA = (x: T, n: string, s: string, poolFeatures: number): T => cat([
    conv(x, `${n}_b1`, `${s}.branch1x1`, c(64), 1),
    conv(conv(x, `${n}_b5_1`, `${s}.branch5x5_1`, c(48), 1), `${n}_b5_2`, `${s}.branch5x5_2`, c(64), 5),
    conv(conv(conv(x, `${n}_b3_1`, `${s}.branch3x3dbl_1`, c(64), 1), `${n}_b3_2`, `${s}.branch3x3dbl_2`, c(96), 3), `${n}_b3_3`, `${s}.branch3x3dbl_3`, c(96), 3),
    conv(avgPool(x, `${n}_pool`), `${n}_bp`, `${s}.branch_pool`, c(poolFeatures), 1),
  ], `${n}_concat`);
  const blockB = (x: T, n: string, s: string): T => cat([
    conv(x, `${n}_b3`, `${s}.branch3x3`, c(384), 3, { stride: 2, valid: true }),
    conv(conv(conv(x, `${n}_b3d_1`, `${s}.branch3x3dbl_1`, c(64), 1), `${n}_b3d_2`, `${s}.branch3x3dbl_2`, c(96), 3), `${n}_b3d_3`, `${s}.branch3x3dbl_3`, c(96), 3, { stride: 2, valid: true }),
    maxPool(x, `${n}_pool`),
  ], `${n}_concat`);
  const blockC = (x: T, n: string, s: string, c7: number): T => {
    let a = conv(x, `${n}_b7_1`, `${s}.branch7x7_1`, c(c7), 1);
    a = conv(a, `${n}_b7_2`, `${s}.branch7x7_2`, c(c7), [1, 7]);
    a = conv(a, `${n}_b7_3`, `${s}.branch7x7_3`, c(192), [7, 1]);
    let d = conv(x, `${n}_b7d_1`, `${s}.branch7x7dbl_1`, c(c7), 1);
    d = conv(d, `${n}_b7d_2`, `${s}.branch7x7dbl_2`, c(c7), [7, 1]);
    d = conv(d, `${n}_b7d_3`, `${s}.branch7x7dbl_3`, c(c7), [1, 7]);
    d = conv(d, `${n}_b7d_4`, `${s}.branch7x7dbl_4`, c(c7), [7, 1]);
    d = conv(d, `${n}_b7d_5`, `${s}.branch7x7dbl_5`, c(192), [1, 7]);
    return cat([conv(x, `${n}_b1`, `${s}.branch1x1`, c(192), 1), a, d, conv(avgPool(x, `${n}_pool`), `${n}_bp`, `${s}.branch_pool`, c(192), 1)], `${n}_concat`);
  };
  const blockD = (x: T, n: string, s: string): T => {
    const a = conv(conv(x, `${n}_b3_1`, `${s}.branch3x3_1`, c(192), 1), `${n}_b3_2`, `${s}.branch3x3_2`, c(320), 3, { stride: 2, valid: true });
    let d = conv(x, `${n}_b7_1`, `${s}.branch7x7x3_1`, c(192), 1);
    d = conv(d, `${n}_b7_2`, `${s}.branch7x7x3_2`, c(192), [1, 7]);
    d = conv(d, `${n}_b7_3`, `${s}.branch7x7x3_3`, c(192), [7, 1]);
    d = conv(d, `${n}_b7_4`, `${s}.branch7x7x3_4`, c(192), 3, { stride: 2, valid: true });
    return cat([a, d, maxPool(x, `${n}_pool`)], `${n}_concat`);
  };
  const blockE = (x: T, n: string, s: string): T => {
    const a = conv(x, `${n}_b3_1`, `${s}.branch3x3_1`, c(384), 1);
    const a2 = cat([conv(a, `${n}_b3_2a`, `${s}.branch3x3_2a`, c(384), [1, 3]), conv(a, `${n}_b3_2b`, `${s}.branch3x3_2b`, c(384), [3, 1])], `${n}_b3_concat`);
    let d = conv(x, `${n}_b3d_1`, `${s}.branch3x3dbl_1`, c(448), 1);
    d = conv(d, `${n}_b3d_2`, `${s}.branch3x3dbl_2`, c(384), 3);
    const d2 = cat([conv(d, `${n}_b3d_3a`, `${s}.branch3x3dbl_3a`, c(384), [1, 3]), conv(d, `${n}_b3d_3b`, `${s}.branch3x3dbl_3b`, c(384), [3, 1])], `${n}_b3d_concat`);
    return cat([conv(x, `${n}_b1`, `${s}.branch1x1`, c(320), 1), a2, d2, conv(avgPool(x, `${n}_pool`), `${n}_bp`, `${s}.branch_pool`, c(192), 1)], `${n}_concat`);
  };

  const input = b.input();
  let x = conv(input, 'stem_1a', 'Conv2d_1a_3x3', c(32), 3, { stride: 2, valid: true });
  x = conv(x, 'stem_2a', 'Conv2d_2a_3x3', c(32), 3, { valid: true });
  x = conv(x, 'stem_2b', 'Conv2d_2b_3x3', c(64), 3);
  x = maxPool(x, 'stem_pool1');
  x = conv(x, 'stem_3b', 'Conv2d_3b_1x1', c(80), 1);
  x = conv(x, 'stem_4a', 'Conv2d_4a_3x3', c(192), 3, { valid: true });
  x = maxPool(x, 'stem_pool2');
  x = blockA(x, 'stage1_5b', 'Mixed_5b', 32);
  x = blockA(x, 'stage1_5c', 'Mixed_5c', 64);
  x = blockA(x, 'stage1_5d', 'Mixed_5d', 64);
  x = blockB(x, 'stage2_6a', 'Mixed_6a');
  x = blockC(x, 'stage2_6b', 'Mixed_6b', 128);
  x = blockC(x, 'stage2_6c', 'Mixed_6c', 160);
  x = blockC(x, 'stage2_6d', 'Mixed_6d', 160);
  x = blockC(x, 'stage2_6e', 'Mixed_6e', 192);
  x = blockD(x, 'stage3_7a', 'Mixed_7a');
  x = blockE(x, 'stage3_7b', 'Mixed_7b');
  x = blockE(x, 'stage3_7c', 'Mixed_7c');
  return b.model(b.classifier(poolFeatures(x), { src: 'fc' }), 'inception-v3');
}

registerBackbone('inception-v3', inceptionV3, {
  description: 'Inception v3 (torchvision): factorised 7x7 / 3x3 inception blocks A-E, BN eps 1e-3, no aux head; inputs >= 75 px (299 for the published weights)',
  defaultWidth: 1, aliases: ['inception_v3'], minInputSize: 75,
});
