// Scoring a source with a trained model: class scores (with optional
// test-time augmentation) and the evaluation loss / accuracy.
import * as tf from '@tensorflow/tfjs';
import type { BatchSource } from '../data/batches';
import type { LossName, TtaName } from './schema';
import { evaluationLoss } from './losses';
import { predictWithViews, ttaViews } from './tta';
import { ReadQueue, type Read } from '../engine/reads';

export interface PredictOptions {
  batchSize?: number;
  tta?: TtaName;
  /** softmax (default) or sigmoid per class (models trained with bce). */
  activation?: 'softmax' | 'sigmoid';
}

/** Class scores for every item of a source, in source order ([size * numClasses], row-major). */
// Scores are read one batch behind the device (engine/reads.ts).
export async function predictScores(model: tf.LayersModel, source: BatchSource, o: PredictOptions | number = {}): Promise<{ scores: Float32Array; numClasses: number }> {
  const opts: PredictOptions = typeof o === 'number' ? { batchSize: o } : o;
  const inputShape = (model.inputs[0].shape.slice(1) as number[]);
  const views = ttaViews(opts.tta ?? 'none', inputShape);
  const out = new Float32Array(source.size * source.numClasses);
  const reads = new ReadQueue<number>(1);
  const put = (done: Read<number>[]) => { for (const r of done) out.set(r.values, r.meta); };
  try {
    let offset = 0;
    for (const b of source.batches({ batchSize: opts.batchSize ?? 64 })) {
      const probs = predictWithViews(model, b.x, views, opts.activation ?? 'softmax');
      tf.dispose([b.x, b.y]);
      put(await reads.push(probs, offset));
      offset += b.labels.length * source.numClasses;
    }
    put(await reads.drain());
  } finally {
    reads.dispose();
  }
  return { scores: out, numClasses: source.numClasses };
}

/** Loss (the unweighted loss of the training family) and accuracy of the model on a source. */
// Summed on the device over all batches and read once (engine/reads.ts).
export async function evaluateLoss(model: tf.LayersModel, source: BatchSource, batchSize = 64, loss: LossName = 'cross-entropy'): Promise<{ loss: number; accuracy: number }> {
  const lossFn = evaluationLoss(loss);
  let total: tf.Tensor = tf.zeros([2]);
  try {
    for (const b of source.batches({ batchSize })) {
      const next = tf.tidy(() => {
        const logits = model.predict(b.x) as tf.Tensor2D;
        const labels = tf.tensor1d(b.labels, 'int32');
        const hits = tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), labels), 'float32'));
        return tf.add(total, tf.stack([tf.mul(lossFn(b.y, logits), b.labels.length), hits]));
      });
      tf.dispose([total, b.x, b.y]);
      total = next;
    }
    const [lossSum, correct] = await total.data();
    return { loss: lossSum / source.size, accuracy: correct / source.size };
  } finally {
    total.dispose();
  }
}
