// Scoring a source with a trained model: class scores (with optional
// test-time augmentation) and the evaluation loss / accuracy.
import * as tf from '@tensorflow/tfjs';
import type { BatchSource } from '../data/batches';
import type { HeadActivation, LossName, TtaName } from './schema';
import { evaluationLoss, headProbabilities, type ScoreActivation } from './losses';
import { predictWithViews, ttaViews } from './tta';

export interface PredictOptions {
  batchSize?: number;
  tta?: TtaName;
  /** softmax (default), sigmoid per class (models trained with bce), or a multi-label head's relu/tanh (clipped into [0, 1]). */
  activation?: ScoreActivation;
}

/** Class scores for every item of a source, in source order ([size * numClasses], row-major). */
export function predictScores(model: tf.LayersModel, source: BatchSource, o: PredictOptions | number = {}): { scores: Float32Array; numClasses: number } {
  const opts: PredictOptions = typeof o === 'number' ? { batchSize: o } : o;
  const inputShape = (model.inputs[0].shape.slice(1) as number[]);
  const views = ttaViews(opts.tta ?? 'none', inputShape);
  const out = new Float32Array(source.size * source.numClasses);
  let offset = 0;
  for (const b of source.batches({ batchSize: opts.batchSize ?? 64 })) {
    const probs = predictWithViews(model, b.x, views, opts.activation ?? 'softmax');
    out.set(probs.dataSync() as Float32Array, offset);
    offset += b.labels.length * source.numClasses;
    tf.dispose([probs, b.x, b.y]);
  }
  return { scores: out, numClasses: source.numClasses };
}

/** 0/1 decisions at 0.5 on a multi-label head's probabilities: [exact-match rows, true positives, false positives, false negatives]. */
export function multiLabelCounts(logits: tf.Tensor2D, targets: Uint8Array, activation: HeadActivation): [number, number, number, number] {
  const p = tf.tidy(() => headProbabilities(logits, activation).greaterEqual(0.5).dataSync());
  const [n, k] = logits.shape;
  let exact = 0, tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < n; i++) {
    let ok = true;
    for (let c = 0; c < k; c++) {
      const y = targets[i * k + c], q = p[i * k + c];
      if (y && q) tp++; else if (q) { fp++; ok = false; } else if (y) { fn++; ok = false; }
    }
    if (ok) exact++;
  }
  return [exact, tp, fp, fn];
}

/**
 * Loss (the unweighted loss of the training family) and accuracy of the model on a source.
 * Multi-label sources (with targets): accuracy is subset accuracy (every label right) at a
 * 0.5 threshold, as scikit-learn's accuracy_score on label sets, and micro F1 at 0.5.
 */
export function evaluateLoss(model: tf.LayersModel, source: BatchSource, batchSize = 64, loss: LossName = 'cross-entropy',
  headActivation?: HeadActivation): { loss: number; accuracy: number; microF1?: number } {
  const multi = !!source.targets;
  const act = headActivation ?? 'sigmoid';
  const lossFn = evaluationLoss(loss, multi ? act : undefined);
  if (multi) {
    let lossSum = 0, exact = 0, tp = 0, fp = 0, fn = 0;
    for (const b of source.batches({ batchSize })) {
      const logits = model.predict(b.x) as tf.Tensor2D;
      const l = tf.tidy(() => lossFn(b.y, logits).dataSync()[0]);
      const [e, t, f, m] = multiLabelCounts(logits, b.targets!, act);
      lossSum += l * b.labels.length; exact += e; tp += t; fp += f; fn += m;
      tf.dispose([logits, b.x, b.y]);
    }
    return { loss: lossSum / source.size, accuracy: exact / source.size, microF1: tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn) };
  }
  let lossSum = 0, correct = 0;
  for (const b of source.batches({ batchSize })) {
    const [l, pred] = tf.tidy(() => {
      const logits = model.predict(b.x) as tf.Tensor2D;
      return [lossFn(b.y, logits).mul(b.labels.length), logits.argMax(-1)];
    });
    lossSum += l.dataSync()[0];
    const p = pred.dataSync();
    for (let i = 0; i < p.length; i++) if (p[i] === b.labels[i]) correct++;
    tf.dispose([l, pred, b.x, b.y]);
  }
  return { loss: lossSum / source.size, accuracy: correct / source.size };
}
