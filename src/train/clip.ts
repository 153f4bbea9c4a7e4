// Gradient clipping: by global norm (PyTorch's clip_grad_norm_: scale all
// gradients by max / (norm + 1e-6) when the norm exceeds max) and by value.
import * as tf from '@tensorflow/tfjs';

/** The L2 norm of all gradients together. */
export function globalNorm(grads: tf.NamedTensorMap): number {
  return tf.tidy(() => {
    const parts = Object.values(grads).map((g) => tf.sum(tf.square(g)));
    return parts.length ? tf.sqrt(tf.addN(parts)).dataSync()[0] : 0;
  });
}

/** New clipped tensors (the caller disposes them), or `grads` itself when nothing applies. */
export function clipGradients(grads: tf.NamedTensorMap, o: { norm?: number | null; value?: number | null }): tf.NamedTensorMap {
  if (o.norm == null && o.value == null) return grads;
  let scale = 1;
  if (o.norm != null) {
    const n = globalNorm(grads);
    if (n > o.norm) scale = o.norm / (n + 1e-6);
  }
  if (scale === 1 && o.value == null) return grads;
  const out: tf.NamedTensorMap = {};
  for (const [k, g] of Object.entries(grads)) {
    out[k] = tf.tidy(() => {
      let c = scale === 1 ? g : tf.mul(g, scale);
      if (o.value != null) c = tf.clipByValue(c, -o.value, o.value);
      return c === g ? g.clone() : c;
    });
  }
  return out;
}
