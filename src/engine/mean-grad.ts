// The gradient of Mean as one broadcast (Tile) of dy / n. tfjs-core's builds
// ones(x.shape) and multiplies and divides at full size: three passes over
// the activations, twice per batch-norm layer and step (its moments).
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, NamedAttrMap } from '@tensorflow/tfjs';

export const meanGradConfig: GradConfig = {
  kernelName: 'Mean',
  inputsToSave: ['x'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const [x] = saved;
    const axis = (attrs as unknown as { axis: number | number[] }).axis;
    const axes = tf.util.parseAxisParam(axis, x.shape);
    const reduceSize = axes.reduce((p, a) => p * x.shape[a], 1);
    const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    return { x: () => tf.broadcastTo(tf.div(tf.reshape(dy as tf.Tensor, expanded), reduceSize), x.shape) };
  },
};

/** Replace tfjs-core's Mean gradient (all backends: the same math). Idempotent. */
export function registerMeanGradient(): void {
  tf.registerGradient(meanGradConfig);
}
