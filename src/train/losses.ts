// Losses from logits against (possibly soft) targets [B, K]. With class
// weights w, a sample's loss is scaled by the weight of its target and the
// batch mean divides by the summed target weights: PyTorch's
// CrossEntropyLoss(weight=w) for hard labels, extended to mixup/cutmix targets.
// Label smoothing mixes the targets with the uniform distribution (eps/K) as
// PyTorch's label_smoothing does.
import * as tf from '@tensorflow/tfjs';
import type { HeadActivation, LossName } from './schema';

export interface LossOptions {
  kind: LossName;
  labelSmoothing?: number;
  /** One weight per class (class-weighted loss; focal's alpha). */
  classWeights?: number[];
  /** Focal loss exponent. */
  focalGamma?: number;
  /** bce: weight of the positive term, per class (PyTorch's pos_weight). */
  posWeight?: number[];
  /** Multi-label (0/1 label sets): bce and focal are per label; `headActivation` maps outputs to probabilities. */
  multiLabel?: boolean;
  headActivation?: HeadActivation;
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

/** Keras' epsilon: probabilities are clipped to [EPS, 1 - EPS] before the log. */
export const EPS = 1e-7;

/** A multi-label head's outputs as label probabilities: sigmoid, or relu/tanh clipped into [0, 1]. */
export function headProbabilities(logits: tf.Tensor, activation: HeadActivation): tf.Tensor {
  if (activation === 'sigmoid') return tf.sigmoid(logits);
  return tf.clipByValue(activation === 'relu' ? tf.relu(logits) : tf.tanh(logits), 0, 1);
}

/**
 * Binary cross-entropy on probabilities clipped to [EPS, 1 - EPS] (Keras' binary_crossentropy):
 * how relu/tanh heads train. Outside the clip range the gradient is zero, so a relu unit
 * pushed below 0 (or a tanh output below 0) stops learning: the degenerate heads the
 * protein study reports.
 */
export function probabilityBce(targets: tf.Tensor2D, outputs: tf.Tensor2D, activation: HeadActivation, o: { posWeight?: tf.Tensor1D } = {}): tf.Scalar {
  return tf.tidy(() => {
    const raw = activation === 'relu' ? tf.relu(outputs) : tf.tanh(outputs);
    const p = tf.clipByValue(raw, EPS, 1 - EPS);
    let pos: tf.Tensor = tf.mul(targets, tf.log(p));
    if (o.posWeight) pos = tf.mul(pos, o.posWeight);
    return tf.neg(tf.mean(tf.add(pos, tf.mul(tf.sub(1, targets), tf.log(tf.sub(1, p)))))) as tf.Scalar;
  });
}

/**
 * Sigmoid focal loss per label (Lin et al. 2017, RetinaNet's form):
 * -w t (1 - p)^gamma log p - (1 - t) p^gamma log(1 - p), mean over every (sample, label).
 */
export function sigmoidFocalLoss(targets: tf.Tensor2D, logits: tf.Tensor2D, o: { gamma?: number; posWeight?: tf.Tensor1D } = {}): tf.Scalar {
  return tf.tidy(() => {
    const g = o.gamma ?? 2;
    const p = tf.sigmoid(logits);
    let pos: tf.Tensor = tf.mul(tf.mul(targets, tf.pow(tf.sub(1, p), g)), tf.softplus(tf.neg(logits)));
    if (o.posWeight) pos = tf.mul(pos, o.posWeight);
    const neg = tf.mul(tf.mul(tf.sub(1, targets), tf.pow(p, g)), tf.softplus(logits));
    return tf.mean(tf.add(pos, neg)) as tf.Scalar;
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
  if (o.multiLabel) return makeMultiLabelLoss(o, numClasses);
  if (o.headActivation && o.headActivation !== 'sigmoid') {
    throw new Error(`train.headActivation ${o.headActivation} applies to multi-label heads (model.head: multilabel); this task is single-label`);
  }
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

/** Multi-label losses: bce (sigmoid, or relu/tanh probabilities) or sigmoid focal, positives weighted per label. */
function makeMultiLabelLoss(o: LossOptions, numClasses: number): LossFn & { dispose(): void } {
  if (o.kind === 'cross-entropy') {
    throw new Error("train.loss cross-entropy is for single-label data; multi-label targets (dataset.multiLabel: multi) train with 'bce' or 'focal'");
  }
  const act = o.headActivation ?? 'sigmoid';
  // Label smoothing per label: each 0/1 target moves eps/2 towards the other value.
  const ls = o.labelSmoothing ?? 0;
  const smooth2 = (t: tf.Tensor2D): tf.Tensor2D => (ls ? tf.add(tf.mul(t, 1 - ls), ls / 2) : t);
  if (o.kind === 'focal' && act !== 'sigmoid') throw new Error(`train.loss focal is the sigmoid focal loss; train.headActivation ${act} trains with 'bce'`);
  if (o.classWeights && o.posWeight) throw new Error('dataset.classWeights and train.posWeight both weight the positives of each label: use one of them');
  const pw = weightsTensor(o.posWeight ? 'train.posWeight' : 'label weights (dataset.classWeights)', o.posWeight ?? o.classWeights, numClasses);
  const fn: LossFn = (t, z) => tf.tidy(() => {
    const ts = smooth2(t);
    if (o.kind === 'focal') return sigmoidFocalLoss(ts, z, { gamma: o.focalGamma ?? 2, posWeight: pw });
    return act === 'sigmoid' ? binaryCrossEntropy(ts, z, { posWeight: pw }) : probabilityBce(ts, z, act, { posWeight: pw });
  });
  return Object.assign(fn, { dispose: () => pw?.dispose() });
}

/** The unweighted, unsmoothed loss of the same family: what val/loss reports, comparable across configs. */
export function evaluationLoss(kind: LossName, headActivation?: HeadActivation): LossFn {
  if (headActivation && headActivation !== 'sigmoid') return (t, z) => probabilityBce(t, z, headActivation);
  return kind === 'bce' ? (t, z) => binaryCrossEntropy(t, z) : (t, z) => crossEntropy(t, z);
}

export type ScoreActivation = 'softmax' | 'sigmoid' | 'relu' | 'tanh';

/**
 * How logits become class scores: softmax (single-label), sigmoid per class for bce;
 * multi-label heads score with their head activation (relu/tanh clipped into [0, 1]).
 */
export function scoreActivation(kind: LossName, o: { multiLabel?: boolean; headActivation?: HeadActivation } = {}): ScoreActivation {
  if (o.multiLabel) return o.headActivation ?? 'sigmoid';
  return kind === 'bce' ? 'sigmoid' : 'softmax';
}

/** Multi-label prior: each label's training frequency p, as the head output whose activation is p. */
export function priorLabelOutputs(targets: ArrayLike<number>, numClasses: number, activation: HeadActivation): Float32Array {
  const n = Math.max(1, Math.floor(targets.length / numClasses));
  const out = new Float32Array(numClasses);
  for (let c = 0; c < numClasses; c++) {
    let k = 0;
    for (let i = 0; i < n; i++) k += targets[i * numClasses + c] ? 1 : 0;
    const p = Math.min(1 - 1e-6, Math.max(1e-6, k / n));
    out[c] = activation === 'sigmoid' ? Math.log(p / (1 - p)) : activation === 'relu' ? p : Math.atanh(p);
  }
  return out;
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
