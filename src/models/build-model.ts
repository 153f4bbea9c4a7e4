// The `model` section made into a network: create the backbone, load
// `pretrained` weights, apply `freeze`. What the experiment layer calls.
import type * as tf from '@tensorflow/tfjs';
import { createBackbone } from './registry';
import { loadPretrained, type PretrainedResult } from './pretrained';
import { freezeLayers, type FreezeReport } from './freeze';
import { summariseTransfer } from './transfer';
import type { ModelConfig } from './schema';

export interface BuiltModel {
  model: tf.LayersModel;
  pretrained?: PretrainedResult;
  freeze?: FreezeReport;
}

export function buildModel(cfg: ModelConfig, o: { inputShape: [number, number, number]; classes: number; seed: number; log?: (line: string) => void }): BuiltModel {
  const model = createBackbone(cfg.backbone, { inputShape: o.inputShape, classes: o.classes, width: cfg.width ?? undefined, dropout: cfg.dropout, seed: o.seed });
  try {
    let pretrained: PretrainedResult | undefined;
    if (cfg.pretrained) {
      pretrained = loadPretrained(model, cfg.pretrained);
      const loaded = pretrained.loaded.length + pretrained.adapted.length;
      if (loaded === 0) {
        throw new Error(`model.pretrained: no weight of ${pretrained.file} matches ${cfg.backbone} by name and shape (${summariseTransfer(pretrained)}); is it the same backbone and width?`);
      }
      o.log?.(`cellab: pretrained weights from ${pretrained.file}: ${summariseTransfer(pretrained)}`);
    }
    let freeze: FreezeReport | undefined;
    if (cfg.freeze && cfg.freeze !== 'none' && cfg.head === 'dense') {
      freeze = freezeLayers(model, cfg.freeze);
      o.log?.(`cellab: froze ${freeze.frozen.length} layers${freeze.stages.length ? ` (${freeze.stages.join(', ')})` : ''}: ${freeze.frozenParams} frozen, ${freeze.trainableParams} trainable weights`);
    }
    return { model, pretrained, freeze };
  } catch (err) {
    model.dispose();
    throw err;
  }
}
