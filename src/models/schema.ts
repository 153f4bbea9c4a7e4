// The `model` section of an experiment file.
import type { SchemaNode } from '../engine/schema';

export interface ModelConfig {
  backbone: string;
  width: number;
  dropout: number;
}

export const modelSchema: SchemaNode = {
  type: 'object',
  description: 'Which network to train.',
  properties: {
    backbone: { type: 'string', default: 'small-cnn' },
    width: { type: 'number', min: 0.05, default: 1 },
    dropout: { type: 'number', min: 0, max: 0.95, default: 0 },
  },
};
