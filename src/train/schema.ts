// The `train` section of an experiment file.
import type { SchemaNode } from '../engine/schema';

export interface TrainConfig {
  epochs: number;
  lr: number;
  batchSize: number;
  optimizer: 'adam';
  seed: number;
  /** Evaluate with the weights of the best epoch (highest val accuracy, ties: lower val loss). */
  restoreBest: boolean;
}

export const trainSchema: SchemaNode = {
  type: 'object',
  description: 'How to train.',
  properties: {
    epochs: { type: 'number', integer: true, min: 1, default: 5 },
    lr: { type: 'number', min: 0, default: 0.001 },
    batchSize: { type: 'number', integer: true, min: 1, default: 32 },
    optimizer: { type: 'string', enum: ['adam'], default: 'adam' },
    seed: { type: 'number', integer: true, default: 0 },
    restoreBest: { type: 'boolean', default: true },
  },
};
