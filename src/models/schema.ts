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
  /**
   * `dense`: train end to end; `multilabel`: end to end, one independent output per label
   * (train.headActivation, sigmoid by default; multi-label data); `linear`: frozen backbone
   * features + a linear classifier (train.linear); `mil`: bags of images (dataset.bags) on
   * frozen backbone features, per patient (model.mil).
   */
  head: 'dense' | 'multilabel' | 'linear' | 'mil';
  /** Layer whose output is the embedding for `head: linear` and `mil` (every backbone names its pooled output `features`). */
  featureLayer: string;
  /** `head: mil`: how the bag's clinical data (dataset.metadata) is used. none: images only; only: the metadata expert alone; moe: gated mixture of both. */
  metadata: 'none' | 'only' | 'moe';
  mil: MilConfig;
}

export interface MilConfig {
  /** mean | max | attention (gated attention, Ilse et al. 2018). */
  aggregation: string;
  /** Width of the trainable instance projection on the frozen features. */
  hidden: number;
  attentionDim: number;
  /** Hidden width of the metadata expert's MLP. */
  metadataHidden: number;
  dropout: number;
  /** Predict a bag-level number (e.g. LYMPH_COUNT) from the aggregated image features; its normalised MSE times `weight` joins the loss. */
  auxiliary: false | { column: string; weight: number };
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
    head: { type: 'string', enum: ['dense', 'multilabel', 'linear', 'mil'], default: 'dense', description: 'dense: end to end (softmax); multilabel: one sigmoid output per label; linear: frozen features + linear classifier; mil: bags (patients) on frozen features' },
    featureLayer: { type: 'string', default: 'features' },
    metadata: { type: 'string', enum: ['none', 'only', 'moe'], default: 'none', description: 'head mil: none = image expert only; only = metadata expert only; moe = gated mixture of experts' },
    mil: {
      type: 'object',
      description: 'The bag model (model.head: mil).',
      properties: {
        aggregation: { type: 'string', default: 'attention', description: 'mean | max | attention (gated attention)' },
        hidden: { type: 'number', integer: true, min: 1, default: 64 },
        attentionDim: { type: 'number', integer: true, min: 1, default: 32 },
        metadataHidden: { type: 'number', integer: true, min: 1, default: 16 },
        dropout: { type: 'number', min: 0, max: 0.95, default: 0 },
        auxiliary: {
          type: 'oneOf', default: false,
          description: 'false, or {column, weight}: regress a bag-level number from the image features (normalised MSE x weight added to the loss)',
          options: [
            { type: 'literal', value: false },
            { type: 'object', properties: { column: { type: 'string' }, weight: { type: 'number', min: 0, default: 0.5 } } },
          ],
        },
      },
    },
  },
};
