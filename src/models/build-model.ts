// The `model` section made into a network: create the backbone, load
// `pretrained` weights, apply `freeze`. What the experiment layer calls.
// Published weights (torchvision/timm files) come with what their stem
// expects: the normalisation they were trained with is applied inside the
// model (unless the data is already normalised by dataset.normalize) and a
// gray image is repeated into the RGB stem (or the stem summed: model.stem).
import type * as tf from '@tensorflow/tfjs';
import './backbones';
import { createBackbone, resolveBackboneName, parameterCount, type InputAdapterOptions } from './registry';
import { loadPretrained, type PretrainedResult } from './pretrained';
import { freezeLayers, type FreezeReport } from './freeze';
import { summariseTransfer } from './transfer';
import { loadWeightsFile, summariseLoad, type LoadReport } from './import/loader';
import { parsePretrainedSpec, expectedNormalization, type PretrainedSpec } from './import/spec';
import type { ModelConfig } from './schema';

export interface ImportedWeights {
  /** `torchvision:resnet18=...` as given. */
  given: string;
  /** The published entry's id, when known. */
  id?: string;
  report: LoadReport;
  /** What the model does to its input before the stem. */
  input: { normalization: { mean: number[]; std: number[]; source: string } | 'dataset.normalize'; stem: 'rgb' | 'repeat' | 'sum' };
}

export interface BuiltModel {
  model: tf.LayersModel;
  pretrained?: PretrainedResult;
  /** Published (torchvision/timm) weights loaded. */
  imported?: ImportedWeights;
  freeze?: FreezeReport;
  /** Learned parameters, as PyTorch counts them. */
  params: number;
}

export interface BuildOptions {
  inputShape: [number, number, number];
  classes: number;
  seed: number;
  /** The data is normalised already (dataset.normalize): no normalisation in the model. */
  dataNormalized?: boolean;
  log?: (line: string) => void;
}

function adapterFor(spec: PretrainedSpec, cfg: ModelConfig, o: BuildOptions): { adapter: InputAdapterOptions; input: ImportedWeights['input'] } {
  const channels = o.inputShape[2];
  const norm = expectedNormalization(spec);
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  // A gray image gets one mean and std (the RGB ones averaged): repeating it or summing the stem then agree exactly.
  const mean = channels === 1 ? [avg(norm.mean)] : norm.mean;
  const std = channels === 1 ? [avg(norm.std)] : norm.std;
  const stem = channels === 1 ? cfg.stem : 'rgb';
  if (channels !== 1 && channels !== 3) throw new Error(`model.pretrained: ${spec.given} expects 1 (gray) or 3 (RGB) input channels, the data has ${channels}`);
  return {
    adapter: { ...(o.dataNormalized ? {} : { mean, std }), repeat: stem === 'repeat' ? 3 : 1 },
    input: { normalization: o.dataNormalized ? 'dataset.normalize' : { mean, std, source: norm.source }, stem },
  };
}

export function buildModel(cfg: ModelConfig, o: BuildOptions): BuiltModel {
  const spec = cfg.pretrained ? parsePretrainedSpec(cfg.pretrained, cfg.backbone) : undefined;
  let adapter: InputAdapterOptions | undefined;
  let input: ImportedWeights['input'] | undefined;
  if (spec) {
    if (resolveBackboneName(cfg.backbone) !== spec.arch) {
      throw new Error(`model.pretrained: ${spec.given} holds ${spec.arch} weights but model.backbone is ${cfg.backbone}; set model.backbone: ${spec.arch}`);
    }
    if ((cfg.width ?? 1) !== 1) throw new Error(`model.pretrained: published ${spec.arch} weights are for width 1, model.width is ${cfg.width}; remove model.width or set it to 1`);
    ({ adapter, input } = adapterFor(spec, cfg, o));
  }
  const model = createBackbone(cfg.backbone, { inputShape: o.inputShape, classes: o.classes, width: cfg.width ?? undefined, dropout: cfg.dropout, seed: o.seed, inputAdapter: adapter });
  try {
    let pretrained: PretrainedResult | undefined;
    let imported: ImportedWeights | undefined;
    if (spec) {
      const report = loadWeightsFile(model, spec.file, { ignore: spec.published?.ignore, rename: spec.published?.rename });
      imported = { given: spec.given, id: spec.published?.id, report, input: input! };
      o.log?.(`cellab: pretrained ${spec.published?.id ?? spec.arch} weights from ${spec.file}: ${summariseLoad(report)}`);
      const n = input!.normalization;
      o.log?.(`cellab: input ${n === 'dataset.normalize' ? 'normalised by dataset.normalize (not again in the model)' : `normalised in the model as the weights expect: mean ${n.mean.map((v) => +v.toFixed(4)).join(',')}, std ${n.std.map((v) => +v.toFixed(4)).join(',')} (${n.source})`}` +
        `${input!.stem === 'repeat' ? '; gray channel repeated into the RGB stem' : input!.stem === 'sum' ? '; RGB stem filters summed into one gray channel' : ''}`);
    } else if (cfg.pretrained) {
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
    return { model, pretrained, imported, freeze, params: parameterCount(model) };
  } catch (err) {
    model.dispose();
    throw err;
  }
}
