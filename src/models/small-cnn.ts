// The tiny CNN of the quickstart and the benchmarks:
// conv16-pool-conv32-pool-conv64-GAP-dense (widths scale with `width`).
import * as tf from '@tensorflow/tfjs';
import { registerBackbone, type ResolvedBackboneOptions } from './registry';
import { LayerBuilder, poolFeatures, type T } from './builder';
import { PlainConv2D } from './layers/plain-conv';

export function smallCnn(o: ResolvedBackboneOptions): tf.LayersModel {
  const b = new LayerBuilder(o);
  const input = b.input();
  let x: T = input;
  [16, 32, 64].forEach((n, i) => {
    const stage = `stage${i + 1}`;
    // Plain conv + one bias-ReLU op (layers/plain-conv.ts): faster to train than tfjs' un-fused conv, add, relu.
    x = new PlainConv2D({ name: `${stage}_conv`, filters: b.ch(n), kernelSize: 3, padding: 'same', activation: 'relu',
      kernelInitializer: b.glorot(`${stage}_conv`) }).apply(x) as T;
    if (i < 2) x = tf.layers.maxPooling2d({ name: `${stage}_pool`, poolSize: 2 }).apply(x) as T;
  });
  return b.model(b.classifier(poolFeatures(x)), 'small-cnn');
}

registerBackbone('small-cnn', smallCnn, {
  description: 'three 3x3 conv stages (16-32-64) + global average pooling; the quickstart and benchmark net',
  defaultWidth: 1,
});
