// BYOL's target network: an exponential moving average of the online
// network's weights, xi <- tau * xi + (1 - tau) * theta after every online
// update, with tau raised from its base to 1 along a cosine over the steps:
// tau_k = 1 - (1 - tau_base) * (cos(pi k / K) + 1) / 2   (Grill et al. 2020, 3.2).
import * as tf from '@tensorflow/tfjs';

/** tau at step k (0-based) of K steps in all. */
export function emaTau(step: number, totalSteps: number, base: number): number {
  if (!(totalSteps > 0)) return base;
  const k = Math.min(Math.max(step, 0), totalSteps);
  return 1 - (1 - base) * (Math.cos((Math.PI * k) / totalSteps) + 1) / 2;
}

/** A target weight and the online weight it follows. */
export interface EmaPair {
  target: tf.LayerVariable;
  online: tf.LayerVariable;
}

/**
 * Pair every trainable weight of the online network with the target weight
 * of the same name (the target is a copy built from the same config). Only
 * trainable weights are followed: a frozen weight never changes, and each
 * network keeps its own batch-norm statistics.
 */
export function emaPairs(target: tf.LayerVariable[], onlineTrainable: tf.LayerVariable[]): EmaPair[] {
  const byName = new Map(target.map((t) => [t.originalName, t]));
  return onlineTrainable.map((o) => {
    const t = byName.get(o.originalName);
    if (!t) throw new Error(`the target network has no weight ${o.originalName}: it must be a copy of the online network`);
    if (t.shape.join() !== o.shape.join()) throw new Error(`target weight ${t.originalName} is [${t.shape}], online [${o.shape}]`);
    return { target: t, online: o };
  });
}

/** xi <- tau * xi + (1 - tau) * theta for every pair. */
export function emaUpdate(pairs: EmaPair[], tau: number): void {
  if (tau === 1) return;
  tf.tidy(() => {
    for (const { target, online } of pairs) target.write(tf.add(tf.mul(target.read(), tau), tf.mul(online.read(), 1 - tau)));
  });
}
