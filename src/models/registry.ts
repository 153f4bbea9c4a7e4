// Backbone registry in the timm style: registerBackbone(name, factory),
// createBackbone(name, options), listBackbones(). A backbone returns LOGITS
// (no softmax): the training loop applies logSoftmax / softmax itself.
import * as tf from '@tensorflow/tfjs';
import { didYouMean } from '../engine/schema';

export interface BackboneOptions {
  /** [height, width, channels] */
  inputShape: [number, number, number];
  classes: number;
  /**
   * Channel width multiplier (1 = the published reference widths). Default:
   * the backbone's own `defaultWidth`, small enough to train at 64x64 on a CPU.
   */
  width?: number;
  /** Dropout before the classifier. */
  dropout?: number;
  /** Fixes weight initialisation (and the dropout masks). */
  seed?: number;
  /** Normalisation and gray -> RGB repetition inside the model, before the stem (pretrained weights). */
  inputAdapter?: InputAdapterOptions | null;
  /** Zeros instead of random initial weights: a net built only to be counted or loaded (fast for big nets). */
  zeroInit?: boolean;
}

export interface InputAdapterOptions {
  mean?: number[];
  std?: number[];
  /** Repeat a 1-channel input this many times (3: a gray image into an RGB stem). */
  repeat?: number;
}

export type ResolvedBackboneOptions = Required<Omit<BackboneOptions, 'inputAdapter' | 'zeroInit'>> & { inputAdapter: InputAdapterOptions | null; zeroInit?: boolean };

export interface BackboneInfo {
  name: string;
  description: string;
  /** Width multiplier used when none is given. */
  defaultWidth: number;
  /** Other names that resolve to this backbone. */
  aliases: string[];
  /** Smallest input height/width the architecture takes (Inception v3: 75). */
  minInputSize: number;
}

export type BackboneFactory = (o: ResolvedBackboneOptions) => tf.LayersModel;

interface Entry extends BackboneInfo { factory: BackboneFactory }

const registry = new Map<string, Entry>();
const aliases = new Map<string, string>();

export function registerBackbone(name: string, factory: BackboneFactory,
  info: { description: string; defaultWidth?: number; aliases?: string[]; minInputSize?: number }): void {
  if (registry.has(name) || aliases.has(name)) throw new Error(`backbone '${name}' is already registered`);
  const entry: Entry = { name, description: info.description, defaultWidth: info.defaultWidth ?? 1, aliases: info.aliases ?? [], minInputSize: info.minInputSize ?? 1, factory };
  registry.set(name, entry);
  for (const a of entry.aliases) {
    if (registry.has(a) || aliases.has(a)) throw new Error(`backbone alias '${a}' (of '${name}') is already registered`);
    aliases.set(a, name);
  }
}

export function listBackbones(): BackboneInfo[] {
  return [...registry.values()].map(({ factory: _f, ...info }) => ({ ...info, aliases: [...info.aliases] }));
}

/** The registered name for a name or alias; throws with the available names otherwise. */
export function resolveBackboneName(name: string): string {
  if (registry.has(name)) return name;
  const target = aliases.get(name);
  if (target) return target;
  const names = [...registry.keys()];
  throw new Error(`backbone '${name}' is not registered.${didYouMean(name, [...names, ...aliases.keys()])} Available: ${names.join(', ')}`);
}

export function backboneInfo(name: string): BackboneInfo {
  const { factory: _f, ...info } = registry.get(resolveBackboneName(name))!;
  return info;
}

export function createBackbone(name: string, o: BackboneOptions): tf.LayersModel {
  const entry = registry.get(resolveBackboneName(name))!;
  const resolved: ResolvedBackboneOptions = {
    inputShape: o.inputShape,
    classes: o.classes,
    width: o.width ?? entry.defaultWidth,
    dropout: o.dropout ?? 0,
    seed: o.seed ?? 0,
    inputAdapter: o.inputAdapter ?? null,
    zeroInit: o.zeroInit ?? false,
  };
  if (!(resolved.width > 0)) throw new Error(`backbone '${entry.name}': width must be > 0, got ${resolved.width}`);
  if (!(resolved.classes >= 1)) throw new Error(`backbone '${entry.name}': classes must be >= 1, got ${resolved.classes}`);
  if (Math.min(o.inputShape[0], o.inputShape[1]) < entry.minInputSize) {
    throw new Error(`backbone '${entry.name}' needs inputs of at least ${entry.minInputSize}x${entry.minInputSize} px, got ${o.inputShape[0]}x${o.inputShape[1]}: set dataset.image.size >= ${entry.minInputSize}`);
  }
  try {
    return entry.factory(resolved);
  } catch (err) {
    throw new Error(`backbone '${entry.name}' could not be built for input ${o.inputShape.join('x')} at width ${resolved.width}: ${(err as Error).message}`);
  }
}

/** Number of weights (trainable and not, e.g. batch-norm statistics), as Keras' count_params. */
export function countParams(model: tf.LayersModel): number {
  return model.weights.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
}

const BUFFERS = /\/(moving_mean|moving_variance|num_batches_tracked)(_\d+)?$/;

/** Learned parameters only, as PyTorch counts them (sum of p.numel() over parameters(): no batch-norm statistics). */
export function parameterCount(model: tf.LayersModel): number {
  return model.weights.filter((w) => !BUFFERS.test(w.originalName)).reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
}
