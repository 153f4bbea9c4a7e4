// Gradient accumulation: a batch's gradient computed over micro-batches of at
// most `size` images and combined, so a step holds only a micro-batch's
// activations. On wasm a step must fit in 4 GiB: fine-tuning the published
// nets at 224 px with the studies' batch of 32 does not (convnext-atto needs
// ~7 GiB), while 4 micro-batches of 8 do. The loss is a mean per micro-batch,
// so each one's value and gradients are weighted by its share of the batch: the
// sum is the batch's mean loss and gradient (batch-norm statistics are then per
// micro-batch, as in PyTorch with accumulation).
import * as tf from '@tensorflow/tfjs';

export interface StepGrads {
  value: tf.Scalar;
  grads: tf.NamedTensorMap;
}

/**
 * The loss and gradients of a batch of `n` items, `loss(start, count)` giving the
 * mean loss of items [start, start + count). One call when `size` is unset or >= n.
 */
export function accumulatedGrads(n: number, size: number | null | undefined, loss: (start: number, count: number) => tf.Scalar, vars: tf.Variable[]): StepGrads {
  if (!size || size >= n) return tf.variableGrads(() => loss(0, n), vars);
  let value: tf.Scalar | undefined;
  let grads: tf.NamedTensorMap = {};
  for (let start = 0; start < n; start += size) {
    const count = Math.min(size, n - start), w = count / n;
    const part = tf.variableGrads(() => loss(start, count), vars);
    const next = tf.tidy(() => {
      const g: tf.NamedTensorMap = {};
      for (const [k, t] of Object.entries(part.grads)) g[k] = grads[k] ? tf.add(grads[k], tf.mul(t, w)) : tf.mul(t, w);
      return { v: value ? tf.add(value, tf.mul(part.value, w)) as tf.Scalar : tf.mul(part.value, w) as tf.Scalar, g };
    });
    tf.dispose([part.value, ...Object.values(part.grads), ...(value ? [value] : []), ...Object.values(grads)]);
    value = next.v;
    grads = next.g;
  }
  return { value: value!, grads };
}
