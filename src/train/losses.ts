// Losses from logits against (possibly soft) targets [B, K]. With class
// weights w, a sample's loss is scaled by the weight of its target and the
// batch mean divides by the summed target weights: PyTorch's
// CrossEntropyLoss(weight=w) for hard labels, extended to mixup/cutmix targets.
// Label smoothing mixes the targets with the uniform distribution (eps/K) as
// PyTorch's label_smoothing does.
import * as tf from '@tensorflow/tfjs';
import type { LossName } from './schema';

export interface LossOptions {
  kind: LossName;
  labelSmoothing?: number;
  /** One weight per class (class-weighted loss; focal's alpha). */
  classWeights?: number[];
  /** Focal loss exponent. */
  focalGamma?: number;
  /** bce: weight of the positive term, per class (PyTorch's pos_weight). */
  posWeight?: number[];
}

export type LossFn = (targets: tf.Tensor2D, logits: tf.Tensor2D) => tf.Scalar;

function smooth(targets: tf.Tensor2D, eps: number): tf.Tensor2D {
  if (!eps) return targets;
  const k = targets.shape[1];
  return tf.add(tf.mul(targets, 1 - eps), eps / k);
}

/** Weighted mean: sum(perSample) / sum(w . targets) (or a plain mean without weights). */
function reduce(perSample: tf.Tensor1D, targets: tf.Tensor2D, w?: tf.Tensor1D): tf.Scalar {
  if (!w) return tf.mean(perSample) as tf.Scalar;
  return tf.div(tf.sum(perSample), tf.sum(tf.mul(targets, w))) as tf.Scalar;
}

/** Mean cross-entropy from logits against (possibly soft) targets; label smoothing and class weights optional. */
export function crossEntropy(targets: tf.Tensor2D, logits: tf.Tensor2D, o: { labelSmoothing?: number; classWeights?: tf.Tensor1D } = {}): tf.Scalar {
  return tf.tidy(() => {
    const t = smooth(targets, o.labelSmoothing ?? 0);
    const tw = o.classWeights ? tf.mul(t, o.classWeights) : t;
    const perSample = tf.neg(tf.sum(tf.mul(tw, tf.logSoftmax(logits)), -1)) as tf.Tensor1D;
    return reduce(perSample, targets, o.classWeights);
  });
}

/** Softmax focal loss (Lin et al. 2017): -sum_c alpha_c t_c (1 - p_c)^gamma log p_c. */
export function focalLoss(targets: tf.Tensor2D, logits: tf.Tensor2D, o: { gamma?: number; labelSmoothing?: number; classWeights?: tf.Tensor1D } = {}): tf.Scalar {
  return tf.tidy(() => {
    const t = smooth(targets, o.labelSmoothing ?? 0);
    const logp = tf.logSoftmax(logits);
    const modulator = tf.pow(tf.sub(1, tf.exp(logp)), o.gamma ?? 2);
    const tw = o.classWeights ? tf.mul(t, o.classWeights) : t;
    const perSample = tf.neg(tf.sum(tf.mul(tf.mul(tw, modulator), logp), -1)) as tf.Tensor1D;
    return reduce(perSample, targets, o.classWeights);
  });
}

/**
 * Binary cross-entropy on every (sample, class) logit, mean over all of them:
 * PyTorch's BCEWithLogitsLoss(weight=w, pos_weight=pw) with w broadcast over classes.
 */
export function binaryCrossEntropy(targets: tf.Tensor2D, logits: tf.Tensor2D, o: { labelSmoothing?: number; classWeights?: tf.Tensor1D; posWeight?: tf.Tensor1D } = {}): tf.Scalar {
  return tf.tidy(() => {
    const t = smooth(targets, o.labelSmoothing ?? 0);
    // log sigmoid(z) = -softplus(-z); log(1 - sigmoid(z)) = -softplus(z): stable for large |z|.
    let pos: tf.Tensor = tf.mul(t, tf.softplus(tf.neg(logits)));
    if (o.posWeight) pos = tf.mul(pos, o.posWeight);
    let l: tf.Tensor = tf.add(pos, tf.mul(tf.sub(1, t), tf.softplus(logits)));
    if (o.classWeights) l = tf.mul(l, o.classWeights);
    return tf.mean(l) as tf.Scalar;
  });
}

function weightsTensor(name: string, w: number[] | undefined, k: number): tf.Tensor1D | undefined {
  if (!w) return undefined;
  if (w.length === 1 && k > 1) w = new Array(k).fill(w[0]);
  if (w.length !== k) throw new Error(`${name} has ${w.length} value(s) but the task has ${k} classes`);
  if (w.some((v) => !(v >= 0) || !Number.isFinite(v))) throw new Error(`${name} must be finite and >= 0, got [${w.join(', ')}]`);
  return tf.keep(tf.tensor1d(w));
}

/** The training loss as a function; dispose() frees the weight tensors it holds. */
export function makeLoss(o: LossOptions, numClasses: number): LossFn & { dispose(): void } {
  const cw = weightsTensor('class weights', o.classWeights, numClasses);
  const pw = weightsTensor('train.posWeight', o.posWeight, numClasses);
  if (pw && o.kind !== 'bce') throw new Error(`train.posWeight applies to train.loss 'bce' only (the loss is '${o.kind}')`);
  const ls = o.labelSmoothing ?? 0;
  const fn: LossFn = o.kind === 'bce'
    ? (t, z) => binaryCrossEntropy(t, z, { labelSmoothing: ls, classWeights: cw, posWeight: pw })
    : o.kind === 'focal'
      ? (t, z) => focalLoss(t, z, { gamma: o.focalGamma ?? 2, labelSmoothing: ls, classWeights: cw })
      : (t, z) => crossEntropy(t, z, { labelSmoothing: ls, classWeights: cw });
  return Object.assign(fn, { dispose: () => tf.dispose([cw, pw].filter((x): x is tf.Tensor1D => !!x)) });
}

/** The unweighted, unsmoothed loss of the same family: what val/loss reports, comparable across configs. */
export function evaluationLoss(kind: LossName): LossFn {
  return kind === 'bce' ? (t, z) => binaryCrossEntropy(t, z) : (t, z) => crossEntropy(t, z);
}

/** How logits become class scores for a loss: sigmoid per class for bce, softmax otherwise. */
export function scoreActivation(kind: LossName): 'softmax' | 'sigmoid' {
  return kind === 'bce' ? 'sigmoid' : 'softmax';
}

/**
 * Logits of the predictor that always outputs the class prior (the
 * divergence baseline): log p for softmax losses, logit(p) for bce.
 */
export function priorLogits(labels: Int32Array, numClasses: number, kind: LossName): Float32Array {
  const counts = new Float64Array(numClasses);
  for (const l of labels) counts[l]++;
  const out = new Float32Array(numClasses);
  for (let c = 0; c < numClasses; c++) {
    const p = Math.min(1 - 1e-7, Math.max(1e-7, counts[c] / Math.max(1, labels.length)));
    out[c] = kind === 'bce' ? Math.log(p / (1 - p)) : Math.log(p);
  }
  return out;
}
