// Gradients that pass dy through unchanged, without a kernel call. tfjs-core's
// Add gradient reshapes dy to each input's shape even when nothing was
// broadcast, and its Identity gradient casts float32 dy to float32: on wasm
// each is a new reference to the same storage, but through the engine (~20-30
// us of JS per call), 24 calls per resnet18 training step (8 residual sums,
// whose tf.layers.add clones its first input). Here, while no tape records
// (first-order gradients: tfjs runs the backward pass with the tape off), the
// result is that reference made directly (tape-clone.ts' shareStorage); with
// the tape on (a gradient of a gradient) or a broadcast, tfjs' own ops. Same
// values either way.
import * as tf from '@tensorflow/tfjs';
import type { GradConfig } from '@tensorflow/tfjs';
import { shareStorage, tapeOff } from './tape-clone';

/** dy as a tensor of `shape` (dy's size): a direct reference where allowed, else tf.reshape. */
function passThrough(dy: tf.Tensor, shape: number[]): tf.Tensor {
  return (tapeOff() ? shareStorage(dy, undefined, shape) : undefined) ?? tf.reshape(dy, shape);
}

/** The gradient of one input of a broadcasting sum: dy summed over the axes the input was broadcast along. */
function sumToShape(dy: tf.Tensor, shape: number[], outShape: number[]): tf.Tensor {
  const axes = tf.backend_util.getReductionAxes(shape, outShape);
  return axes.length > 0 ? tf.reshape(tf.sum(dy, axes), shape) : passThrough(dy, shape);
}

export const addGradConfig: GradConfig = {
  kernelName: 'Add',
  inputsToSave: ['a', 'b'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
    const [a, b] = saved;
    const g = dy as tf.Tensor;
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    return { a: () => sumToShape(g, a.shape, outShape), b: () => sumToShape(g, b.shape, outShape) };
  },
};

export const identityGradConfig: GradConfig = {
  kernelName: 'Identity',
  gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
    const g = dy as tf.Tensor;
    return { x: () => (g.dtype === 'float32' ? passThrough(g, g.shape) : tf.cast(g, 'float32')) };
  },
};

/** Replace tfjs-core's Add and Identity gradients (all backends: the same values). Idempotent. */
export function registerPassThroughGradients(): void {
  tf.registerGradient(addGradConfig);
  tf.registerGradient(identityGradConfig);
}
