// The whole experiment file: each src/ folder's section schema, composed.
import type { SchemaNode } from '../engine/schema';
import { datasetSchema, type DatasetConfig } from '../data/schema';
import { modelSchema, type ModelConfig } from '../models/schema';
import { trainSchema, type TrainConfig } from '../train/schema';

export interface EmbeddingEvalConfig {
  /** Layer whose output is the embedding (every backbone names its pooled output `features`). */
  layer: string;
  /** Image pairs sampled per split (half same-class). */
  pairs: number;
  /** What the similarity threshold maximises (searched on validation pairs). */
  metric: 'accuracy' | 'f1' | 'youden' | 'balanced_accuracy';
  topK: number;
  /** A threshold drawn beside the chosen one in the threshold plot (e.g. a study's 0.705); null: none. */
  referenceThreshold?: number | null;
}

export interface MultiLabelEvalConfig {
  /**
   * How label scores become label sets: `per-label` thresholds maximising each label's F1 on
   * validation, one `global` threshold maximising micro F1 on validation, a `fixed` threshold,
   * or the `top-k` labels of each image. Chosen thresholds are logged and applied to test.
   */
  decision: 'per-label' | 'global' | 'fixed' | 'top-k';
  /** fixed: the threshold; also what per-label/global fall back to when validation has no positive at all. */
  threshold: number;
  /** per-label: a label with fewer validation positives than this takes the global threshold (its own would be noise). */
  minPositives: number;
  /** top-k: labels predicted per image. */
  k: number;
}

export interface EvalConfig {
  /** Which split the reported (bare-named) metrics come from. */
  split: 'test' | 'val';
  /** Binary: pick a decision threshold on validation maximising this, report test at it. */
  threshold: false | 'f1' | 'youden' | 'balanced_accuracy' | 'accuracy';
  /** Binary: the positive class (default: the second class in sorted order). */
  positive?: string;
  /** Image query by embedding similarity (histology study). */
  embeddings: EmbeddingEvalConfig | false;
  /** Multi-label data (dataset.multiLabel: multi): the decision rule. */
  multiLabel: MultiLabelEvalConfig;
}

export interface TrackingConfig {
  uri?: string;
  experiment?: string;
  tags: Record<string, string>;
  /** Register the best run's checkpoint as a new version of this model (MLflow Model Registry). */
  registerModel?: string;
  /** Log `system/...` CPU and memory metrics while training (true: every 10 s). */
  systemMetrics: boolean | { interval: number };
  /** Galleries of the best run's errors (top losses, most confused, misclassified, Grad-CAM) as plots/*.png. */
  errorAnalysis: boolean | { topLosses: number; gradCam: number; perClass: number };
}

export interface ExperimentConfig {
  name: string;
  description?: string;
  dataset: DatasetConfig;
  model: ModelConfig;
  train: TrainConfig;
  eval: EvalConfig;
  /**
   * Flat dotted keys to lists of values ({"train.lr": [0.01, 0.001]}) or, for `method: random | tpe`,
   * distributions ({"train.lr": {loguniform: [1e-4, 0.1]}}); plus the reserved keys of SWEEP_RESERVED
   * (method, trials, seed, tpe, prune, budget). search-space.ts reads it.
   */
  sweep: Record<string, unknown>;
  tracking: TrackingConfig;
}

export const evalSchema: SchemaNode = {
  type: 'object',
  description: 'What to report.',
  properties: {
    split: { type: 'string', enum: ['test', 'val'], default: 'test' },
    threshold: {
      type: 'oneOf', default: false,
      description: 'binary: threshold chosen on validation to maximise this metric, test reported at it',
      options: [{ type: 'literal', value: false }, { type: 'string', enum: ['f1', 'youden', 'balanced_accuracy', 'accuracy'] }],
    },
    positive: { type: 'string' },
    multiLabel: {
      type: 'object',
      description: 'multi-label data: per-label thresholds (maximise each label F1 on validation), a global one (maximise micro F1 on validation), fixed, or top-k; applied to test',
      properties: {
        decision: { type: 'string', enum: ['per-label', 'global', 'fixed', 'top-k'], default: 'per-label' },
        threshold: { type: 'number', min: 0, max: 1, default: 0.5 },
        minPositives: { type: 'number', integer: true, min: 1, default: 10, description: 'per-label: labels with fewer validation positives take the global threshold' },
        k: { type: 'number', integer: true, min: 1, default: 1 },
      },
    },
    embeddings: {
      type: 'oneOf', default: false,
      description: 'embeddings of a layer: pair similarity threshold, top-k neighbours, PCA',
      options: [
        { type: 'literal', value: false },
        {
          type: 'object',
          properties: {
            layer: { type: 'string', default: 'features' },
            pairs: { type: 'number', integer: true, min: 2, default: 2000 },
            metric: { type: 'string', enum: ['accuracy', 'f1', 'youden', 'balanced_accuracy'], default: 'accuracy' },
            topK: { type: 'number', integer: true, min: 1, default: 5 },
            referenceThreshold: { type: 'number', min: -1, max: 1, nullable: true, description: 'drawn beside the chosen threshold in plots/similarity_threshold (e.g. the study\'s 0.705)' },
          },
        },
      ],
    },
  },
};

export const trackingSchema: SchemaNode = {
  type: 'object',
  description: 'Where runs go (MLflow).',
  properties: {
    uri: { type: 'string' },
    experiment: { type: 'string' },
    tags: { type: 'object', values: { type: 'string' }, default: {} },
    registerModel: { type: 'string', description: "the best run's checkpoint becomes a new version of this registered model" },
    systemMetrics: {
      type: 'oneOf', default: false, description: 'system/cpu_utilization_percentage and system/system_memory_usage_* while training: true (every 10 s) or {interval: seconds}',
      options: [{ type: 'boolean' }, { type: 'object', properties: { interval: { type: 'number', min: 0.01, default: 10 } } }],
    },
    errorAnalysis: {
      type: 'oneOf', default: true, description: "the best run's top losses, most confused pairs, misclassified items per class and Grad-CAM as plots/*.png",
      options: [{ type: 'boolean' }, {
        type: 'object',
        properties: {
          topLosses: { type: 'number', integer: true, min: 1, default: 12 },
          gradCam: { type: 'number', integer: true, min: 0, default: 6 },
          perClass: { type: 'number', integer: true, min: 1, default: 8 },
        },
      }],
    },
  },
};

const looseList: SchemaNode = { type: 'array', items: { type: 'any' }, minItems: 1 };
const range: SchemaNode = { type: 'array', items: { type: 'number' }, minItems: 2 };

/** A swept key: a list of values, or a distribution (random/tpe), optionally conditional. */
export const sweepValueSchema: SchemaNode = {
  type: 'oneOf',
  options: [
    looseList,
    {
      type: 'object',
      description: 'a distribution: exactly one of loguniform, uniform, int, choice; `when` makes the key conditional',
      properties: {
        loguniform: range, uniform: range, int: range,
        log: { type: 'boolean', description: 'int: sample in log space' },
        choice: looseList,
        when: { type: 'object', values: looseList, description: 'apply the key only when these keys take one of these values' },
      },
    },
    { type: 'literal', value: null },
  ],
};

/** The keys of `sweep` that are not config keys (no dots, and no config section has these names). */
export const sweepReservedSchema: Record<string, SchemaNode> = {
  method: { type: 'string', enum: ['grid', 'random', 'tpe'], description: 'grid (default): the cross product of lists; random; tpe (Bayesian)' },
  trials: { type: 'number', integer: true, min: 1, description: 'random/tpe: configurations to sample (each runs once per fold)' },
  seed: { type: 'number', integer: true, description: 'random/tpe: fixes the sampled trials (default 0)' },
  tpe: {
    type: 'object', optional: true, description: 'Tree-structured Parzen Estimator settings',
    properties: {
      startup: { type: 'number', integer: true, min: 0, default: 10, description: 'first trials sampled at random' },
      candidates: { type: 'number', integer: true, min: 1, default: 24, description: 'samples from l(x) scored by l(x)/g(x)' },
      gamma: { type: 'number', min: 0.01, max: 0.99, default: 0.25, description: 'fraction of finished trials that are "good"' },
    },
  },
  prune: {
    type: 'oneOf',
    description: 'stop bad trials early (asha: successive halving; hyperband: ASHA brackets that judge from different epochs; median: below the median at the same epoch)',
    options: [
      { type: 'literal', value: false },
      {
        type: 'object',
        properties: {
          method: { type: 'string', enum: ['asha', 'hyperband', 'median'], default: 'asha' },
          minEpochs: { type: 'number', integer: true, min: 1, default: 1, description: 'asha/hyperband: first rung; median: no pruning before this epoch' },
          reductionFactor: { type: 'number', integer: true, min: 2, default: 3, description: 'asha/hyperband: rungs at minEpochs * r^k, the top 1/r continue' },
          maxEpochs: { type: 'number', integer: true, min: 1, description: 'hyperband: epochs its brackets are laid out for (default: train.epochs)' },
          metric: { type: 'string', enum: ['val/accuracy', 'val/loss', 'train/accuracy', 'train/loss'], default: 'val/accuracy' },
          minTrials: { type: 'number', integer: true, min: 1, default: 3, description: 'median: finished trials at an epoch before comparing' },
        },
      },
    ],
  },
  budget: {
    type: 'object', optional: true, description: 'stop launching new trials when spent',
    properties: {
      trials: { type: 'number', integer: true, min: 1, description: 'trials (runs) in the whole sweep, all shards and resumes' },
      minutes: { type: 'number', min: 0, description: 'wall-clock minutes of this process (each shard and each --resume has its own)' },
    },
  },
};

export const sweepSchema: SchemaNode = {
  type: 'object',
  description: 'Flat dotted keys to lists (grid: their cross product, times folds) or distributions (random/tpe), and the reserved keys method, trials, seed, tpe, prune, budget.',
  properties: sweepReservedSchema,
  values: sweepValueSchema,
  default: {},
};

/** Everything but `profiles`, which is applied before validation. */
export const experimentSchema: SchemaNode = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    dataset: datasetSchema,
    model: modelSchema,
    train: trainSchema,
    eval: evalSchema,
    sweep: sweepSchema,
    tracking: trackingSchema,
  },
};

/** The schema node at a dotted key, or undefined when the key does not exist. */
export function schemaAt(root: SchemaNode, key: string): SchemaNode | undefined {
  let node: SchemaNode | undefined = root;
  for (const part of key.split('.')) {
    if (!node) return undefined;
    if (node.type === 'oneOf') node = node.options.find((o) => o.type === 'object');
    if (!node || node.type !== 'object') return undefined;
    node = node.properties?.[part] ?? node.values;
  }
  return node;
}

/** Every dotted leaf key the schema knows, for "did you mean" on --set and sweep keys. */
export function knownKeys(root: SchemaNode, prefix = ''): string[] {
  if (root.type !== 'object' || !root.properties) return prefix ? [prefix] : [];
  return Object.entries(root.properties).flatMap(([k, v]) => {
    const key = prefix ? `${prefix}.${k}` : k;
    return v.type === 'object' && v.properties ? knownKeys(v, key) : [key];
  });
}
