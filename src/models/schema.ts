// The `model` section of an experiment file.
import type { SchemaNode } from '../engine/schema';
import type { FreezeSpec } from './freeze';

export interface ModelConfig {
  backbone: string;
  /** Channel width multiplier; absent: the backbone's default (`cellab backbones`), written into the resolved config before a run. */
  width?: number;
  dropout: number;
  /**
   * Published weights (`torchvision:resnet18`, from the weights cache; `torchvision:resnet18=PATH`,
   * `timm:convnext_atto=PATH`; a bare .pth/.safetensors file for `backbone`), a checkpoint folder,
   * model.json, weights manifest, or an earlier run's (artifacts) folder / `experiment:NAME`.
   */
  pretrained?: string | null;
  /** A gray image into an RGB stem: repeat it 3 times (default) or sum the stem's filters into one channel. */
  stem: 'repeat' | 'sum';
  /** What to freeze: none | soft | medium | hard | {layers: N} | {stages: [stem, stage1]}. */
  freeze: FreezeSpec;
  /** Make every layer trainable after this many epochs (null: never). */
  unfreezeAfter?: number | null;
  /** `dense`: train end to end; `linear`: frozen backbone features + a linear classifier (train.linear). */
  head: 'dense' | 'linear';
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
    pretrained: { type: 'path', nullable: true, description: "torchvision:NAME[=PATH] | timm:NAME[=PATH] | a .pth/.safetensors file | checkpoint folder, model.json, weights manifest, an earlier run's folder, experiment:NAME" },
    stem: { type: 'string', enum: ['repeat', 'sum'], default: 'repeat', description: 'gray images into a pretrained RGB stem: repeat the channel, or sum the stem filters' },
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
    head: { type: 'string', enum: ['dense', 'linear'], default: 'dense' },
    featureLayer: { type: 'string', default: 'features' },
  },
};
