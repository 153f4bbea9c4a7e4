// Self-supervised pretraining of a backbone (train.method byol | simsiam):
// two views of every training image per step, the online network trained on
// the SSL loss, BYOL's target moved by the EMA. No label is read. Each epoch
// logs train/ssl_loss, train/embedding_std, train/effective_rank (of the
// backbone embeddings of the epoch's first batch) and train/ema_tau (BYOL);
// `evaluate` (k-NN / linear probe, supplied by the caller) adds its metrics
// every ssl.evalEvery epochs and after the last. Outcomes: diverged on a
// non-finite loss, collapsed when the final embedding spread is ~0.
import * as tf from '@tensorflow/tfjs';
import { seedFrom } from '../../engine/random';
import type { BatchSource } from '../../data/batches';
import { unfreezeAll } from '../../models/freeze';
import { saveCheckpoint, type CheckpointMeta } from '../../models/checkpoint';
import type { TrainConfig } from '../schema';
import type { EpochRow } from '../history';
import type { BatchInfo, TrainResult } from '../loop';
import { createOptimizer } from '../optimizers';
import { createSchedule } from '../schedules';
import { SslLearner, type SslMethod, type StepResult } from './learner';
import { emaTau } from './ema';
import { viewBatches } from './views';
import { effectiveRank } from './rank';

export interface SslCallbacks {
  onBatchEnd?(info: BatchInfo): void;
  onEpochEnd?(row: EpochRow): void | Promise<void>;
}

export interface SslFitOptions {
  /** The backbone layer whose pooled output is the embedding (model.featureLayer). */
  featureLayer: string;
  /** Metrics to add to the epoch row (e.g. val/knn_accuracy); called every ssl.evalEvery epochs and after the last. */
  evaluate?: (epoch: number) => Record<string, number> | Promise<Record<string, number>>;
  /** Save the backbone here (model.json + weights.bin) at the end of a completed run. */
  checkpointDir?: string;
  checkpointMeta?: CheckpointMeta;
  unfreezeAfter?: number | null;
  log?: (line: string) => void;
  /** After every step (tests, progress): the learner and the step's tau. */
  onStep?: (s: { learner: SslLearner; step: number; tau: number; loss: number }) => void;
}

export interface SslResult extends TrainResult {
  /** train/embedding_std of the last epoch. */
  embeddingStd: number;
}

/** Steps of one pass: a last batch of one image is dropped (batch statistics need two). */
export function sslStepsPerEpoch(size: number, batchSize: number): number {
  return Math.floor(size / batchSize) + (size % batchSize >= 2 ? 1 : 0);
}

export async function fitSsl(backbone: tf.LayersModel, train: BatchSource, cfg: TrainConfig, cb: SslCallbacks = {}, o: SslFitOptions): Promise<SslResult> {
  if (cfg.method === 'supervised') throw new Error('fitSsl: train.method is supervised; use fit()');
  const method: SslMethod = cfg.method;
  const ssl = cfg.ssl;
  const stepsPerEpoch = sslStepsPerEpoch(train.size, cfg.batchSize);
  if (stepsPerEpoch === 0) throw new Error(`self-supervised training needs at least 2 training images (got ${train.size})`);
  const totalSteps = cfg.epochs * stepsPerEpoch;
  const learner = await SslLearner.create(backbone, { method, featureLayer: o.featureLayer, ssl, seed: cfg.seed });
  const optimizer = createOptimizer({ name: cfg.optimizer, weightDecay: cfg.weightDecay, momentum: cfg.momentum, nesterov: cfg.nesterov, betas: cfg.betas, eps: cfg.eps });
  const schedule = createSchedule(cfg.schedule, { lr: cfg.lr, epochs: cfg.epochs, stepsPerEpoch });
  const history: EpochRow[] = [];
  const t0 = Date.now();
  let seen = 0, step = 0, lastStd = NaN;
  let outcome: SslResult['outcome'] = 'completed';
  let reason: string | undefined;
  let checkpoint: string | undefined;
  try {
    for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
      if (o.unfreezeAfter != null && epoch === o.unfreezeAfter + 1) {
        const r = unfreezeAll(backbone);
        o.log?.(`cellab: epoch ${epoch}: unfroze every layer (${r.trainableParams} trainable weights)`);
      }
      const vars = learner.trainableVariables();
      if (vars.length === 0) throw new Error('every layer is frozen: nothing to train (check model.freeze)');
      const pairs = learner.emaPairs();
      let lossSum = 0, stdSum = 0, count = 0, batch = 0, lr = cfg.lr, tau = 1, rank = NaN;
      const epochStart = Date.now();
      for (const v of viewBatches(train, ssl.views, { batchSize: cfg.batchSize, shuffleSeed: seedFrom(cfg.seed, 'shuffle', epoch), seed: seedFrom(cfg.seed, 'ssl', epoch) })) {
        batch++;
        lr = schedule.rate(step);
        tau = method === 'byol' ? emaTau(step, totalSteps, ssl.tau) : 1;
        let r: StepResult;
        try {
          // SimSiam's predictor keeps the base rate (Chen & He 2021, 4: it adapts to the latest representations).
          r = await learner.step(v.x, v.n, { optimizer, lr, tau, vars, pairs, clip: { norm: cfg.clipGradNorm, value: cfg.clipGradValue },
            predictorLr: method === 'simsiam' ? cfg.lr * ssl.predictorLrScale : lr, embeddings: batch === 1 });
        } finally {
          v.x.dispose();
        }
        // Dimensional collapse, which train/embedding_std does not see: one batch (2n views) per epoch.
        if (r.embeddings) rank = effectiveRank(r.embeddings, 2 * v.n, r.dim!);
        o.onStep?.({ learner, step, tau, loss: r.loss });
        step++;
        // Let the event loop run between steps: a Ctrl-C (or SIGTERM) is handled now, not at the epoch's end.
        await new Promise((resolve) => setImmediate(resolve));
        if (!Number.isFinite(r.loss)) {
          outcome = 'diverged';
          reason = `the self-supervised loss became ${r.loss} at epoch ${epoch}, batch ${batch} (learning rate ${lr}; it is probably too high)`;
          break;
        }
        lossSum += r.loss * v.n;
        stdSum += r.embeddingStd * v.n;
        count += v.n;
        seen += 2 * v.n;
        cb.onBatchEnd?.({ epoch, batch, batches: stepsPerEpoch, loss: lossSum / count, lr,
          imagesPerSecond: (2 * count) / Math.max(1e-3, (Date.now() - epochStart) / 1000) });
      }
      if (outcome !== 'completed') break;
      lastStd = stdSum / count;
      const row: EpochRow = { epoch, 'train/ssl_loss': lossSum / count, 'train/embedding_std': lastStd, 'train/effective_rank': rank, lr,
        images_per_second: (2 * count) / Math.max(1e-3, (Date.now() - epochStart) / 1000) };
      if (method === 'byol') row['train/ema_tau'] = tau;
      const due = epoch === cfg.epochs || (ssl.evalEvery > 0 && epoch % ssl.evalEvery === 0);
      if (o.evaluate && due) Object.assign(row, await o.evaluate(epoch));
      schedule.onEpochEnd(row);
      history.push(row);
      await cb.onEpochEnd?.(row);
    }
    if (outcome === 'completed' && !(lastStd >= ssl.collapseStd)) {
      outcome = 'collapsed';
      reason = `the embeddings collapsed: their spread across a batch (train/embedding_std) ended at ${lastStd.toPrecision(3)}, below train.ssl.collapseStd ${ssl.collapseStd} ` +
        '(every image maps to nearly the same point). Lower train.lr, raise train.ssl.tau (byol), or check that the images differ';
    }
    if (outcome === 'completed' && o.checkpointDir) {
      checkpoint = await saveCheckpoint(backbone, o.checkpointDir, { ...o.checkpointMeta, epoch: history.length, method });
    }
    const seconds = (Date.now() - t0) / 1000;
    return { history, outcome, reason, bestEpoch: history.length, checkpoint, embeddingStd: lastStd,
      imagesPerSecond: seen / Math.max(1e-3, seconds), seconds };
  } finally {
    learner.dispose();
    optimizer.dispose();
  }
}
