// Scoring a source with a trained model: class scores (with optional
// test-time augmentation) and the evaluation loss / accuracy.
import * as tf from '@tensorflow/tfjs';
import type { BatchSource } from '../data/batches';
import type { LossName, TtaName } from './schema';
import { evaluationLoss } from './losses';
import { predictWithViews, ttaViews } from './tta';

export interface PredictOptions {
  batchSize?: number;
  tta?: TtaName;
  /** softmax (default) or sigmoid per class (models trained with bce). */
  activation?: 'softmax' | 'sigmoid';
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

/** Loss (the unweighted loss of the training family) and accuracy of the model on a source. */
export function evaluateLoss(model: tf.LayersModel, source: BatchSource, batchSize = 64, loss: LossName = 'cross-entropy'): { loss: number; accuracy: number } {
  const lossFn = evaluationLoss(loss);
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
