// The training loop. It reports through callbacks (progress, per-epoch rows
// that the experiment layer hands to tracking) and never imports tracking.
import * as tf from '@tensorflow/tfjs';
import type { BatchSource } from '../data/batches';
import { Random, seedFrom } from '../engine/random';
import type { TrainConfig } from './schema';

/** One row per epoch; keys are MLflow metric keys ('train/loss', 'val/accuracy', 'lr'). */
export interface EpochRow {
  epoch: number;
  [key: string]: number;
}

export interface BatchInfo {
  epoch: number;
  batch: number;
  batches: number;
  loss: number;
  imagesPerSecond: number;
}

export interface TrainCallbacks {
  onBatchEnd?(info: BatchInfo): void;
  onEpochEnd?(row: EpochRow): void | Promise<void>;
}

export type TrainOutcome = 'completed' | 'diverged';

export interface TrainResult {
  history: EpochRow[];
  outcome: TrainOutcome;
  /** Why the run diverged. */
  reason?: string;
  /** 1-based epoch whose weights the model holds at the end. */
  bestEpoch: number;
  imagesPerSecond: number;
  seconds: number;
}

/** Mean cross-entropy from logits against (possibly soft) targets. */
export function crossEntropy(targets: tf.Tensor2D, logits: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.neg(tf.sum(tf.mul(targets, tf.logSoftmax(logits)), -1))) as tf.Scalar);
}

/** Entropy of the class prior: the loss of always predicting the training frequencies. */
export function priorEntropy(labels: Int32Array, numClasses: number): number {
  const counts = new Array(numClasses).fill(0);
  for (const l of labels) counts[l]++;
  let h = 0;
  for (const c of counts) if (c > 0) { const p = c / labels.length; h -= p * Math.log(p); }
  return h;
}

/** Class scores (softmax probabilities) for every item of a source, in source order. */
export function predictScores(model: tf.LayersModel, source: BatchSource, batchSize = 64): { scores: Float32Array; numClasses: number } {
  const out = new Float32Array(source.size * source.numClasses);
  let offset = 0;
  for (const b of source.batches({ batchSize })) {
    const probs = tf.tidy(() => tf.softmax(model.predict(b.x) as tf.Tensor2D));
    out.set(probs.dataSync() as Float32Array, offset);
    offset += b.labels.length * source.numClasses;
    tf.dispose([probs, b.x, b.y]);
  }
  return { scores: out, numClasses: source.numClasses };
}

/** Loss and accuracy of the model on a source. */
export function evaluateLoss(model: tf.LayersModel, source: BatchSource, batchSize = 64): { loss: number; accuracy: number } {
  let lossSum = 0, correct = 0;
  for (const b of source.batches({ batchSize })) {
    const [l, pred] = tf.tidy(() => {
      const logits = model.predict(b.x) as tf.Tensor2D;
      return [crossEntropy(b.y, logits).mul(b.labels.length), logits.argMax(-1)];
    });
    lossSum += l.dataSync()[0];
    const p = pred.dataSync();
    for (let i = 0; i < p.length; i++) if (p[i] === b.labels[i]) correct++;
    tf.dispose([l, pred, b.x, b.y]);
  }
  return { loss: lossSum / source.size, accuracy: correct / source.size };
}

function isBetter(a: EpochRow, b: EpochRow | undefined): boolean {
  if (!b) return true;
  const accA = a['val/accuracy'], accB = b['val/accuracy'];
  if (accA !== accB) return accA > accB;
  return a['val/loss'] < b['val/loss'];
}

export async function fit(model: tf.LayersModel, train: BatchSource, val: BatchSource | undefined,
  cfg: TrainConfig, cb: TrainCallbacks = {}): Promise<TrainResult> {
  const optimizer = tf.train.adam(cfg.lr);
  const rng = new Random(seedFrom(cfg.seed, 'shuffle'));
  const history: EpochRow[] = [];
  const batches = Math.ceil(train.size / cfg.batchSize);
  const t0 = Date.now();
  let seen = 0;
  let best: EpochRow | undefined;
  let bestWeights: tf.Tensor[] | undefined;
  let outcome: TrainOutcome = 'completed';
  let reason: string | undefined;
  try {
    for (let epoch = 1; epoch <= cfg.epochs && outcome === 'completed'; epoch++) {
      let lossSum = 0, correct = 0, count = 0, batch = 0;
      const epochStart = Date.now();
      for (const b of train.batches({ batchSize: cfg.batchSize, shuffle: rng.fork('epoch', epoch) })) {
        batch++;
        let predIdx: Int32Array | undefined;
        const loss = optimizer.minimize(() => {
          const logits = model.apply(b.x, { training: true }) as tf.Tensor2D;
          predIdx = tf.tidy(() => logits.argMax(-1)).dataSync() as Int32Array;
          return crossEntropy(b.y, logits);
        }, true) as tf.Scalar;
        const l = loss.dataSync()[0];
        tf.dispose([loss, b.x, b.y]);
        if (!Number.isFinite(l)) {
          outcome = 'diverged';
          reason = `the training loss became ${l} at epoch ${epoch}, batch ${batch} (learning rate ${cfg.lr} is probably too high)`;
          break;
        }
        lossSum += l * b.labels.length;
        count += b.labels.length;
        for (let i = 0; i < b.labels.length; i++) if (predIdx![i] === b.labels[i]) correct++;
        seen += b.labels.length;
        cb.onBatchEnd?.({ epoch, batch, batches, loss: lossSum / count,
          imagesPerSecond: count / Math.max(1e-3, (Date.now() - epochStart) / 1000) });
      }
      if (outcome !== 'completed') break;
      const row: EpochRow = { epoch, 'train/loss': lossSum / count, 'train/accuracy': correct / count, lr: cfg.lr,
        images_per_second: count / Math.max(1e-3, (Date.now() - epochStart) / 1000) };
      if (val && val.size > 0) {
        const v = evaluateLoss(model, val, Math.max(cfg.batchSize, 64));
        row['val/loss'] = v.loss;
        row['val/accuracy'] = v.accuracy;
        if (cfg.restoreBest && isBetter(row, best)) {
          best = row;
          tf.dispose(bestWeights ?? []);
          bestWeights = model.getWeights().map((w) => w.clone());
        }
      }
      history.push(row);
      await cb.onEpochEnd?.(row);
    }
    if (outcome === 'completed' && history.length) {
      const last = history[history.length - 1]['train/loss'];
      const prior = priorEntropy(train.labels, train.numClasses);
      if (!(last < prior)) {
        outcome = 'diverged';
        reason = `the final training loss ${last.toFixed(4)} is no better than always predicting the training class prior (${prior.toFixed(4)}); the learning rate ${cfg.lr} is probably too high`;
      }
    }
    let bestEpoch = history.length;
    if (bestWeights && best && outcome === 'completed') {
      model.setWeights(bestWeights);
      bestEpoch = best.epoch;
    }
    const seconds = (Date.now() - t0) / 1000;
    return { history, outcome, reason, bestEpoch, imagesPerSecond: seen / Math.max(1e-3, seconds), seconds };
  } finally {
    tf.dispose(bestWeights ?? []);
    optimizer.dispose();
  }
}
