// The `train` section of an experiment file. Names follow timm / Keras /
// PyTorch where they exist (optimizer, weightDecay, labelSmoothing,
// schedule.warmupEpochs, earlyStopping.minDelta, ...).
import type { SchemaNode } from '../engine/schema';
import { methodSchema, sslSchema, type SslConfig, type TrainMethod } from './ssl/schema';

export type OptimizerName = 'adam' | 'adamw' | 'sgd' | 'rmsprop';
export type LossName = 'cross-entropy' | 'bce' | 'focal';
export type ScheduleKind = 'constant' | 'step' | 'cosine' | 'plateau';
export type MonitorMode = 'auto' | 'min' | 'max';
export type TtaName = 'none' | 'flips' | 'rotations' | 'dihedral';
/** How a multi-label head's outputs become label probabilities. */
export type HeadActivation = 'sigmoid' | 'relu' | 'tanh';

export interface ScheduleConfig {
  kind: ScheduleKind;
  /** Linear warm-up from lr/steps to lr over this many epochs (fractional allowed), for any kind. */
  warmupEpochs: number;
  /** Floor of cosine and plateau. */
  minLr: number;
  /** step: multiply by `gamma` every `stepEpochs` epochs (null: a third of the epochs). */
  stepEpochs?: number | null;
  gamma: number;
  /** plateau (PyTorch ReduceLROnPlateau semantics). */
  factor: number;
  patience: number;
  monitor: string;
  mode: MonitorMode;
  threshold: number;
  cooldown: number;
}

export interface EarlyStoppingConfig {
  monitor: string;
  mode: MonitorMode;
  patience: number;
  minDelta: number;
  /** Restore the weights of the monitor's best epoch (overrides train.restoreBest's criterion). */
  restoreBest: boolean;
}

export interface LinearHeadConfig {
  classifier: 'logistic' | 'svm';
  /** One C, a list to choose from on the validation split, or null for 20 values on 10^-6..10^2.5. */
  C?: number | number[] | null;
  maxIter: number;
  /** Standardise features with the training split's mean and std first. */
  standardize: boolean;
  /** Cache embeddings on disk (`.cache/features` under the project root). */
  cache: boolean;
}

export interface TrainConfig {
  /** supervised, or self-supervised pretraining of the backbone (byol | simsiam; see train.ssl). */
  method: TrainMethod;
  epochs: number;
  lr: number;
  batchSize: number;
  /** Gradient accumulation: compute each batch's gradient in micro-batches of at most this many images (null: the whole batch). */
  microBatch?: number | null;
  seed: number;
  /** Evaluate with the weights of the best epoch (highest val accuracy, ties: lower val loss). */
  restoreBest: boolean;
  /**
   * Discriminative learning rate: the backbone (stem and stages, what model.freeze acts on)
   * trains at lr x this, the head (the layers after the last stage, the classifier) at lr.
   */
  backboneLrScale: number;
  optimizer: OptimizerName;
  /** null: 0.01 for adamw (PyTorch's default), 0 otherwise. Never applied to biases and norm weights (timm). */
  weightDecay?: number | null;
  /** null: 0.9 for sgd, 0 for rmsprop. */
  momentum?: number | null;
  nesterov: boolean;
  betas: [number, number];
  eps: number;
  schedule: ScheduleConfig;
  loss: LossName;
  labelSmoothing: number;
  focalGamma: number;
  /** bce: weight of positive targets per class (one number for all, or a list). */
  posWeight?: number | number[] | null;
  /**
   * Multi-label heads: sigmoid (the default), or relu / tanh outputs read as probabilities,
   * clipped to [1e-7, 1 - 1e-7] and trained with binary cross-entropy on them (Keras'
   * binary_crossentropy): the protein study's activation table.
   */
  headActivation: HeadActivation;
  clipGradNorm?: number | null;
  clipGradValue?: number | null;
  earlyStopping?: EarlyStoppingConfig | false | null;
  /** Log the selected epoch's model as the run's `checkpoint/` artifact (usable as model.pretrained). */
  checkpoint: boolean;
  /** Test-time augmentation: average predictions over flips / 90-degree rotations / both (8). */
  tta: TtaName;
  /** Used when model.head is `linear`, and by the self-supervised linear probe. */
  linear: LinearHeadConfig;
  /** Used when method is byol or simsiam. */
  ssl: SslConfig;
}

const monitorMode: SchemaNode = { type: 'string', enum: ['auto', 'min', 'max'], default: 'auto', description: 'auto: min for losses, max otherwise' };

export const trainSchema: SchemaNode = {
  type: 'object',
  description: 'How to train.',
  properties: {
    method: methodSchema,
    epochs: { type: 'number', integer: true, min: 1, default: 5 },
    lr: { type: 'number', min: 0, default: 0.001 },
    batchSize: { type: 'number', integer: true, min: 1, default: 32 },
    microBatch: { type: 'number', integer: true, min: 1, nullable: true, description: 'gradient accumulation: each batch\'s gradient computed over micro-batches of at most this many images, then one step (a 224 px step of the published nets at batch 32 does not fit wasm\'s 4 GiB; 8 does)' },
    seed: { type: 'number', integer: true, default: 0 },
    restoreBest: { type: 'boolean', default: true },
    backboneLrScale: { type: 'number', min: 0, default: 1, description: 'the backbone (stem + stages) trains at lr x this, the head at lr (fine-tuning pretrained nets: e.g. 0.1)' },
    optimizer: { type: 'string', enum: ['adam', 'adamw', 'sgd', 'rmsprop'], default: 'adam' },
    weightDecay: { type: 'number', min: 0, nullable: true, description: 'null: 0.01 for adamw, 0 otherwise' },
    momentum: { type: 'number', min: 0, max: 1, nullable: true, description: 'null: 0.9 for sgd, 0 for rmsprop' },
    nesterov: { type: 'boolean', default: false },
    betas: { type: 'array', items: { type: 'number', min: 0, max: 1 }, minItems: 2, default: [0.9, 0.999] },
    eps: { type: 'number', min: 0, default: 1e-8 },
    schedule: {
      type: 'object',
      description: 'Learning-rate schedule, set every step.',
      properties: {
        kind: { type: 'string', enum: ['constant', 'step', 'cosine', 'plateau'], default: 'constant' },
        warmupEpochs: { type: 'number', min: 0, default: 0 },
        minLr: { type: 'number', min: 0, default: 0 },
        stepEpochs: { type: 'number', min: 1, integer: true, nullable: true },
        gamma: { type: 'number', min: 0, default: 0.1 },
        factor: { type: 'number', min: 0, max: 1, default: 0.1 },
        patience: { type: 'number', integer: true, min: 0, default: 10 },
        monitor: { type: 'string', default: 'val/loss' },
        mode: monitorMode,
        threshold: { type: 'number', min: 0, default: 1e-4 },
        cooldown: { type: 'number', integer: true, min: 0, default: 0 },
      },
    },
    loss: { type: 'string', enum: ['cross-entropy', 'bce', 'focal'], default: 'cross-entropy' },
    labelSmoothing: { type: 'number', min: 0, max: 1, default: 0 },
    focalGamma: { type: 'number', min: 0, default: 2 },
    posWeight: {
      type: 'oneOf', description: 'bce: positive-target weight, one number or one per class',
      options: [{ type: 'literal', value: null }, { type: 'number', min: 0 }, { type: 'array', items: { type: 'number', min: 0 }, minItems: 1 }],
    },
    headActivation: {
      type: 'string', enum: ['sigmoid', 'relu', 'tanh'], default: 'sigmoid',
      description: 'multi-label head (model.head: multilabel): sigmoid, or relu/tanh outputs clipped to probabilities (Keras binary_crossentropy), as the protein study compared',
    },
    clipGradNorm: { type: 'number', min: 0, nullable: true, description: 'clip the global gradient norm to this' },
    clipGradValue: { type: 'number', min: 0, nullable: true, description: 'clip every gradient element to +-this' },
    earlyStopping: {
      type: 'oneOf', description: 'false, or {monitor, mode, patience, minDelta, restoreBest}',
      options: [
        { type: 'literal', value: false },
        { type: 'literal', value: null },
        {
          type: 'object',
          properties: {
            monitor: { type: 'string', default: 'val/loss' },
            mode: monitorMode,
            patience: { type: 'number', integer: true, min: 0, default: 5 },
            minDelta: { type: 'number', min: 0, default: 0 },
            restoreBest: { type: 'boolean', default: true },
          },
        },
      ],
    },
    checkpoint: { type: 'boolean', default: true },
    tta: { type: 'string', enum: ['none', 'flips', 'rotations', 'dihedral'], default: 'none' },
    linear: {
      type: 'object',
      description: 'Linear classifier on frozen features (model.head: linear).',
      properties: {
        classifier: { type: 'string', enum: ['logistic', 'svm'], default: 'logistic' },
        C: {
          type: 'oneOf', description: 'one C, a list, or null for 20 log-spaced values on 10^-6..10^2.5',
          options: [{ type: 'literal', value: null }, { type: 'number', min: 0 }, { type: 'array', items: { type: 'number', min: 0 }, minItems: 1 }],
        },
        maxIter: { type: 'number', integer: true, min: 1, default: 100, description: 'L-BFGS iterations per C (scikit-learn: 100)' },
        standardize: { type: 'boolean', default: true },
        cache: { type: 'boolean', default: true },
      },
    },
    ssl: sslSchema,
  },
};
