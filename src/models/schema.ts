// The `model` section of an experiment file.
import type { SchemaNode } from '../engine/schema';
import type { FreezeSpec } from './freeze';

export interface ModelConfig {
  backbone: string;
  /** Channel width multiplier; absent: the backbone's default (`cellab backbones`). */
  width?: number;
  dropout: number;
  /** Checkpoint folder, model.json, weights manifest, or an earlier run's (artifacts) folder. */
  pretrained?: string | null;
  /** What to freeze: none | soft | medium | hard | {layers: N} | {stages: [stem, stage1]}. */
  freeze: FreezeSpec;
  /** Make every layer trainable after this many epochs (null: never). */
  unfreezeAfter?: number | null;
  /**
   * `dense`: train end to end; `multilabel`: end to end, one independent output per label
   * (train.headActivation, sigmoid by default; multi-label data); `linear`: frozen backbone
   * features + a linear classifier (train.linear).
   */
  head: 'dense' | 'multilabel' | 'linear';
  /** Layer whose output is the embedding for `head: linear` (every backbone names its pooled output `features`). */
  featureLayer: string;
}

export const modelSchema: SchemaNode = {
  type: 'object',
  description: 'Which network to train.',
  properties: {
    backbone: { type: 'string', default: 'small-cnn', description: 'a registered backbone (`cellab backbones`)' },
    width: { type: 'number', min: 0.01, nullable: true, description: "channel width multiplier; default: the backbone's own" },
    dropout: { type: 'number', min: 0, max: 0.95, default: 0 },
    pretrained: { type: 'path', nullable: true, description: "checkpoint folder, model.json, weights manifest, or an earlier run's folder/artifacts folder in a local MLflow store" },
    freeze: {
      type: 'oneOf', default: 'none',
      description: 'none | soft | medium | hard | {layers: N} | {stages: [...]}',
      options: [
        { type: 'string', enum: ['none', 'soft', 'medium', 'hard'] },
        { type: 'object', properties: { layers: { type: 'number', integer: true, min: 0, default: 0 } } },
        { type: 'object', properties: { stages: { type: 'array', items: { type: 'string' }, minItems: 1 } } },
      ],
    },
    unfreezeAfter: { type: 'number', integer: true, min: 0, nullable: true, description: 'epochs after which every layer trains' },
    head: { type: 'string', enum: ['dense', 'multilabel', 'linear'], default: 'dense', description: 'dense (softmax), multilabel (one sigmoid output per label), or linear (frozen features + linear classifier)' },
    featureLayer: { type: 'string', default: 'features' },
  },
};
