// Scoring a source with a trained model: class scores (with optional
// test-time augmentation) and the evaluation loss / accuracy.
import * as tf from '@tensorflow/tfjs';
import type { BatchSource } from '../data/batches';
import type { HeadActivation, LossName, TtaName } from './schema';
import { evaluationLoss, headProbabilities, type ScoreActivation } from './losses';
import { predictWithViews, ttaViews } from './tta';
import { ReadQueue, type Read } from '../engine/reads';
import { inferenceFunction } from '../models/inference';

export interface PredictOptions {
  batchSize?: number;
  tta?: TtaName;
  /** softmax (default), sigmoid per class (models trained with bce), or a multi-label head's relu/tanh (clipped into [0, 1]). */
  activation?: ScoreActivation;
}

/** Class scores for every item of a source, in source order ([size * numClasses], row-major). */
// Scores are read one batch behind the device (engine/reads.ts). The model runs with its batch
// norms folded into the convolutions (models/inference.ts), folded from the weights it has now.
export async function predictScores(model: tf.LayersModel, source: BatchSource, o: PredictOptions | number = {}): Promise<{ scores: Float32Array; numClasses: number }> {
  const opts: PredictOptions = typeof o === 'number' ? { batchSize: o } : o;
  const inputShape = (model.inputs[0].shape.slice(1) as number[]);
  const views = ttaViews(opts.tta ?? 'none', inputShape);
  const out = new Float32Array(source.size * source.numClasses);
  const reads = new ReadQueue<number>(1);
  const put = (done: Read<number>[]) => { for (const r of done) out.set(r.values, r.meta); };
  const forward = inferenceFunction(model);
  try {
    let offset = 0;
    for (const b of source.batches({ batchSize: opts.batchSize ?? 64 })) {
      const probs = predictWithViews(forward, b.x, views, opts.activation ?? 'softmax');
      tf.dispose([b.x, b.y]);
      put(await reads.push(probs, offset));
      offset += b.labels.length * source.numClasses;
    }
    put(await reads.drain());
  } finally {
    reads.dispose();
    forward.dispose();
  }
  return { scores: out, numClasses: source.numClasses };
}

/**
 * 0/1 decisions at 0.5 on a multi-label head's probabilities, counted on the device:
 * [exact-match rows, true positives, false positives, false negatives] as a float32 tensor
 * (read it with the batch's other numbers; engine/reads.ts).
 */
export function multiLabelCounts(logits: tf.Tensor2D, targets: Uint8Array, activation: HeadActivation): tf.Tensor1D {
  return tf.tidy(() => {
    const q = tf.cast(tf.greaterEqual(headProbabilities(logits, activation), 0.5), 'float32');
    const y = tf.tensor2d(Float32Array.from(targets), logits.shape);
    const notY = tf.sub(1, y), notQ = tf.sub(1, q);
    const wrongPerRow = tf.sum(tf.abs(tf.sub(y, q)), 1);
    const exact = tf.sum(tf.cast(tf.equal(wrongPerRow, 0), 'float32'));
    return tf.stack([exact, tf.sum(tf.mul(y, q)), tf.sum(tf.mul(notY, q)), tf.sum(tf.mul(y, notQ))]) as tf.Tensor1D;
  });
}

/**
 * Loss (the unweighted loss of the training family) and accuracy of the model on a source.
 * Multi-label sources (with targets): accuracy is subset accuracy (every label right) at a
 * 0.5 threshold, as scikit-learn's accuracy_score on label sets, and micro F1 at 0.5.
 */
// Summed on the device over all batches and read once (engine/reads.ts); batch norms folded as in predictScores.
export async function evaluateLoss(model: tf.LayersModel, source: BatchSource, batchSize = 64, loss: LossName = 'cross-entropy',
  headActivation?: HeadActivation): Promise<{ loss: number; accuracy: number; microF1?: number }> {
  const multi = !!source.targets;
  const act = headActivation ?? 'sigmoid';
  const lossFn = evaluationLoss(loss, multi ? act : undefined);
  // [loss x n, correct] or, multi-label, [loss x n, exact rows, tp, fp, fn].
  let total: tf.Tensor = tf.zeros([multi ? 5 : 2]);
  const forward = inferenceFunction(model);
  try {
    for (const b of source.batches({ batchSize })) {
      const next = tf.tidy(() => {
        const logits = forward.predict(b.x) as tf.Tensor2D;
        const l = tf.reshape(tf.mul(lossFn(b.y, logits), b.labels.length), [1]);
        const counts = multi ? multiLabelCounts(logits, b.targets!, act)
          : tf.reshape(tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), tf.tensor1d(b.labels, 'int32')), 'float32')), [1]);
        return tf.add(total, tf.concat([l, counts]));
      });
      tf.dispose([total, b.x, b.y]);
      total = next;
    }
    const v = await total.data();
    if (multi) {
      const [lossSum, exact, tp, fp, fn] = v;
      return { loss: lossSum / source.size, accuracy: exact / source.size, microF1: tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn) };
    }
    return { loss: v[0] / source.size, accuracy: v[1] / source.size };
  } finally {
    total.dispose();
    forward.dispose();
  }
}
