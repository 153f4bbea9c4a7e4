// Self-supervised losses on [n, d] predictions p and targets z (rows; the
// targets already carry no gradient), and the spread that shows collapse.
import * as tf from '@tensorflow/tfjs';

function normalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  // x / max(|x|, 1e-12), as torch's F.normalize, written so that an all-zero row (a
  // collapsed output) has a finite value (cosine 0) AND gradient: the norm's own
  // gradient is 0/0 there, the clamp on the squared norm masks it.
  return tf.mul(x, tf.rsqrt(tf.maximum(tf.sum(tf.square(x), 1, true), 1e-24))) as tf.Tensor2D;
}

/** Row-wise cosine similarity, [n]. */
export function rowCosine(p: tf.Tensor2D, z: tf.Tensor2D): tf.Tensor1D {
  return tf.sum(tf.mul(normalizeRows(p), normalizeRows(z)), 1) as tf.Tensor1D;
}

/** BYOL's normalised MSE, 2 - 2 cos(p, z), averaged over rows (0 = aligned, 2 = orthogonal, 4 = opposite). */
export function byolLoss(p: tf.Tensor2D, z: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.sub(2, tf.mul(2, rowCosine(p, z)))) as tf.Scalar);
}

/** SimSiam's negative cosine similarity, averaged over rows (-1 = aligned). */
export function simsiamLoss(p: tf.Tensor2D, z: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(rowCosine(p, z))) as tf.Scalar);
}

/** Identity forward, zero gradient: SimSiam's stop-gradient on its own projections. */
export const stopGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor;
  return { value: tf.clone(x), gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.zerosLike(dy as tf.Tensor) };
}) as (x: tf.Tensor2D) => tf.Tensor2D;

/**
 * Spread of L2-normalised embeddings across the batch (SimSiam's collapse
 * monitor): the per-dimension std, averaged, times sqrt(d), so that
 * embeddings spread evenly on the sphere give ~1 and a collapsed network
 * (one output for every image) gives 0.
 */
export function embeddingStd(z: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const d = z.shape[1];
    const { variance } = tf.moments(normalizeRows(z), 0);
    return tf.mul(tf.mean(tf.sqrt(variance)), Math.sqrt(d)) as tf.Scalar;
  });
}
