// The tiny CNN of the quickstart and the benchmarks:
// conv16-pool-conv32-pool-conv64-GAP-dense (widths scale with `width`).
import * as tf from '@tensorflow/tfjs';
import { registerBackbone, type ResolvedBackboneOptions } from './registry';
import { seedFrom } from '../engine/random';

export function smallCnn(o: ResolvedBackboneOptions): tf.LayersModel {
  const init = (i: number) => tf.initializers.glorotUniform({ seed: seedFrom(o.seed, 'small-cnn', i) });
  const f = (n: number) => Math.max(4, Math.round(n * o.width));
  const input = tf.input({ shape: o.inputShape, name: 'input' });
  let x = tf.layers.conv2d({ filters: f(16), kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(0), name: 'stage1_conv' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2, name: 'stage1_pool' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: f(32), kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(1), name: 'stage2_conv' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2, name: 'stage2_pool' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: f(64), kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(2), name: 'stage3_conv' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'features' }).apply(x) as tf.SymbolicTensor;
  if (o.dropout > 0) x = tf.layers.dropout({ rate: o.dropout, seed: seedFrom(o.seed, 'dropout'), name: 'dropout' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: o.classes, kernelInitializer: init(3), name: 'logits' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'small-cnn' });
}

registerBackbone('small-cnn', smallCnn, { description: 'three 3x3 conv stages (16-32-64) + global average pooling; the quickstart and benchmark net' });
