// `train.method` and `train.ssl`: self-supervised pretraining (the histology
// study's BYOL, and SimSiam as the cheaper variant: no target network).
import type { SchemaNode } from '../../engine/schema';
import { augmentOptionsSchema, type AugmentConfig } from '../../data/schema';

export type TrainMethod = 'supervised' | 'byol' | 'simsiam';
export const TRAIN_METHODS: readonly TrainMethod[] = ['supervised', 'byol', 'simsiam'];

export interface SslConfig {
  /** Output size of the projector (BYOL: 256, the study: 512). */
  projectionDim: number;
  /** Hidden layer of the projector (BYOL: 4096, the study: 2048). */
  projectionHiddenDim: number;
  /** Hidden layer of the predictor; null: projectionHiddenDim (BYOL), projectionDim / 4 (SimSiam's bottleneck). */
  predictorHiddenDim?: number | null;
  /** SimSiam: the predictor's fixed learning rate is train.lr x this (the paper: 1). */
  predictorLrScale: number;
  /** BYOL's base EMA rate of the target network, raised to 1 with a cosine over the steps. */
  tau: number;
  /** The augmentation drawn independently for each of the two views. */
  views: AugmentConfig;
  /** A run whose final embedding std (train/embedding_std) is below this has collapsed. */
  collapseStd: number;
  /** Evaluate k-NN and the linear probe on validation every N epochs (0: after the last epoch only). */
  evalEvery: number;
  /** Neighbours of the k-NN evaluation. */
  knn: number;
}

/** BYOL's view recipe (crop, flips, colour jitter p 0.8, grayscale, blur, solarize) plus quarter turns: cells have no up. */
export const SSL_VIEWS_DEFAULT = {
  crop: { scale: [0.2, 1], ratio: [3 / 4, 4 / 3], p: 1 },
  hflip: 0.5,
  vflip: 0.5,
  rotate90: true,
  brightness: 0.4,
  contrast: 0.4,
  saturation: 0.2,
  hue: 0.1,
  jitterP: 0.8,
  grayscale: 0.2,
  blur: { p: 0.5, sigma: [0.1, 2] },
  solarize: { p: 0.1, threshold: 0.5 },
};

export const methodSchema: SchemaNode = {
  type: 'string', enum: TRAIN_METHODS, default: 'supervised',
  description: 'supervised: on the labels; byol | simsiam: self-supervised pretraining of the backbone (labels only for the k-NN / linear-probe evaluation)',
};

export const sslSchema: SchemaNode = {
  type: 'object',
  description: 'Self-supervised pretraining (train.method byol | simsiam).',
  properties: {
    projectionDim: { type: 'number', integer: true, min: 1, default: 128 },
    projectionHiddenDim: { type: 'number', integer: true, min: 1, default: 512 },
    predictorHiddenDim: { type: 'number', integer: true, min: 1, nullable: true, description: 'null: projectionHiddenDim (byol), projectionDim / 4 (simsiam)' },
    predictorLrScale: { type: 'number', min: 0, default: 1, description: 'simsiam: the predictor keeps the fixed learning rate train.lr x this (the paper: 1)' },
    tau: { type: 'number', min: 0, max: 1, default: 0.996, description: 'byol: base EMA rate of the target network, cosine-scheduled to 1' },
    views: { ...augmentOptionsSchema, default: SSL_VIEWS_DEFAULT, description: 'augmentation of each view (replaces the whole default recipe when given)' },
    collapseStd: { type: 'number', min: 0, default: 0.02, description: 'final train/embedding_std below this: outcome collapsed' },
    evalEvery: { type: 'number', integer: true, min: 0, default: 0, description: 'epochs between k-NN / linear-probe evaluations on validation (0: at the end)' },
    knn: { type: 'number', integer: true, min: 1, default: 20, description: 'k of the k-NN evaluation' },
  },
};

/** Settings that contradict self-supervised training (checked with the whole file, before anything runs). */
export function sslConfigProblems(train: { method: TrainMethod; ssl: SslConfig; earlyStopping?: unknown; microBatch?: number | null; schedule?: { kind: string; monitor: string } }, modelHead: string): string[] {
  if (train.method === 'supervised') return [];
  const m = `train.method ${train.method}`;
  const problems: string[] = [];
  if (modelHead === 'linear') problems.push(`model.head: linear trains no backbone, and ${m} evaluates its backbone with a linear probe already: set model.head: dense`);
  if (train.earlyStopping) problems.push(`train.earlyStopping watches supervised validation metrics; ${m} runs all train.epochs: remove train.earlyStopping`);
  if (train.schedule?.kind === 'plateau' && train.schedule.monitor !== 'train/ssl_loss') {
    problems.push(`train.schedule.monitor \`${train.schedule.monitor}\` is not logged by ${m}: use train/ssl_loss`);
  }
  // Not supported, so not ignored: the loss pairs views across the batch and the heads' batch norms see all of it.
  if (train.microBatch != null) problems.push(`train.microBatch (gradient accumulation) is supervised only; ${m} steps on whole batches: remove it, or lower train.batchSize or dataset.image.size to fit`);
  for (const k of ['mixup', 'cutmix'] as const) {
    if (train.ssl.views[k]) problems.push(`train.ssl.views.${k} mixes labels; self-supervised views have none: remove it`);
  }
  return problems;
}
