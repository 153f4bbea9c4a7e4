// Gradient clipping: by global norm (PyTorch's clip_grad_norm_: scale all
// gradients by max / (norm + 1e-6) when the norm exceeds max) and by value.
// The scale is computed on the device: no read per step (engine/reads.ts).
import * as tf from '@tensorflow/tfjs';

function globalNormTensor(grads: tf.NamedTensorMap): tf.Scalar {
  return tf.tidy(() => {
    const parts = Object.values(grads).map((g) => tf.sum(tf.square(g)));
    return (parts.length ? tf.sqrt(tf.addN(parts)) : tf.scalar(0)) as tf.Scalar;
  });
}

/** The L2 norm of all gradients together. */
export async function globalNorm(grads: tf.NamedTensorMap): Promise<number> {
  const n = globalNormTensor(grads);
  try {
    return (await n.data())[0];
  } finally {
    n.dispose();
  }
}

/** New clipped tensors (the caller disposes them), or `grads` itself when nothing applies. */
export function clipGradients(grads: tf.NamedTensorMap, o: { norm?: number | null; value?: number | null }): tf.NamedTensorMap {
  if (o.norm == null && o.value == null) return grads;
  const maxNorm = o.norm;
  // min(1, max / (norm + 1e-6)): 1 (the gradients unchanged) while the norm is within max.
  const scale = maxNorm == null ? undefined : tf.tidy(() => {
    const n = globalNormTensor(grads);
    return tf.where(tf.greater(n, maxNorm), tf.div(maxNorm, tf.add(n, 1e-6)), tf.onesLike(n));
  });
  const out: tf.NamedTensorMap = {};
  for (const [k, g] of Object.entries(grads)) {
    out[k] = tf.tidy(() => {
      let c = scale ? tf.mul(g, scale) : g;
      if (o.value != null) c = tf.clipByValue(c, -o.value, o.value);
      return c === g ? g.clone() : c;
    });
  }
  scale?.dispose();
  return out;
}
