// The gradient of FusedBatchNorm (tf.batchNorm, which every Keras
// BatchNormalization layer runs), without Tile.
//
// tfjs-core's version tiles rsqrt(variance) up to the full input shape before
// multiplying (Tile is a slow scalar loop on wasm: seconds per step on a
// ResNet), computes (x - mean) and dy * scale at full size even when no one
// asks for them, and sums dy and dy * (x - mean) twice each. Here: derX is one
// broadcasting multiply, and the two per-channel sums are taken once and shared.
// Same partial derivatives (x, mean, variance, scale, offset), same math.
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, NamedAttrMap } from '@tensorflow/tfjs';

export const fusedBatchNormGradConfig: GradConfig = {
  kernelName: 'FusedBatchNorm',
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const g = dy as tf.Tensor;
    const eps = (attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
    const [x, mean, variance, scale] = saved;
    const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
    const reduce = (t: tf.Tensor) => tf.reshape(axes.length ? tf.sum(t, axes) : t, mean.shape);
    // Per-channel values only (the shape of mean): cheap, kept until backprop ends.
    const rstd = tf.rsqrt(tf.add(variance, eps));
    const gain = scale == null ? rstd : tf.mul(scale, rstd);
    // The two reductions every other partial needs; full-size temporaries die here.
    const [sumDy, sumDyXc] = tf.tidy(() => [reduce(g), reduce(tf.mul(g, tf.sub(x, mean)))]);
    return {
      x: () => tf.mul(g, gain),
      mean: () => tf.neg(tf.mul(sumDy, gain)),
      variance: () => tf.mul(tf.mul(sumDyXc, gain), tf.mul(tf.square(rstd), -0.5)),
      scale: () => tf.mul(sumDyXc, rstd),
      offset: () => tf.clone(sumDy),
    };
  },
};

/** Replace tfjs-core's FusedBatchNorm gradient (all backends: the math is the same). Idempotent. */
export function registerBatchNormGradient(): void {
  tf.registerGradient(fusedBatchNormGradConfig);
}
