// Freezing: the first N layers, named stages, or a preset depth
// (soft / medium / hard: the three depths of the intensity study), and
// unfreezing later. Layer names start with their stage (`stem_`, `stage3_`),
// so stages come from the names. A frozen batch-norm layer runs in inference
// mode (moving statistics, no updates), as Keras does for trainable=False:
// otherwise fine-tuning would still rewrite the pretrained statistics.
import * as tf from '@tensorflow/tfjs';

export type FreezePreset = 'none' | 'soft' | 'medium' | 'hard';
export type FreezeSpec = FreezePreset | { layers: number } | { stages: string[] };

export interface FreezeReport {
  /** Names of the frozen layers. */
  frozen: string[];
  /** Stages frozen whole (empty for `{layers: N}`). */
  stages: string[];
  trainableParams: number;
  frozenParams: number;
}

const STAGE = /^(stem|stage\d+)(?=_|$)/;

/** The stage a layer belongs to (`stem`, `stage2`), or undefined for the head (`features`, `logits`, ...). */
export function layerStage(name: string): string | undefined {
  return STAGE.exec(name)?.[1];
}

/** Stages in network order: `stem`, then `stage1`, `stage2`, ... */
export function backboneStages(model: tf.LayersModel): string[] {
  const seen: string[] = [];
  for (const l of model.layers) {
    const s = layerStage(l.name);
    if (s && !seen.includes(s)) seen.push(s);
  }
  return seen;
}

const PRESETS = new Map<string, Record<Exclude<FreezePreset, 'none'>, string[]>>();

/** Stages of a backbone's presets where a study defines them (GoogLeNet's three depths); keyed by the model's name. */
export function registerFreezePresets(modelName: string, presets: Record<Exclude<FreezePreset, 'none'>, string[]>): void {
  PRESETS.set(modelName, presets);
}

/**
 * Stages a preset freezes, over the K body stages after the stem:
 * soft = stem + the first ~quarter, medium = + the first half, hard = all but the last
 * (unless the backbone registered its own presets: `modelName`).
 */
export function presetStages(stages: string[], preset: FreezePreset, modelName?: string): string[] {
  if (preset === 'none') return [];
  const own = modelName !== undefined ? PRESETS.get(modelName) : undefined;
  if (own) return own[preset].filter((s) => stages.includes(s));
  const body = stages.filter((s) => s !== 'stem');
  const k = body.length;
  const soft = Math.max(1, Math.round(k / 4));
  const medium = Math.min(Math.max(soft + 1, Math.round(k / 2)), Math.max(1, k - 1));
  const n = preset === 'soft' ? soft : preset === 'medium' ? medium : Math.max(1, k - 1);
  return [...(stages.includes('stem') ? ['stem'] : []), ...body.slice(0, n)];
}

function paramCount(ws: tf.LayerVariable[]): number {
  return ws.reduce((n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
}

const BATCH_NORMS = new Set(['BatchNormalization', 'CellabBatchNorm']);
const originalCall = new WeakMap<tf.layers.Layer, tf.layers.Layer['call']>();

function setFrozen(layer: tf.layers.Layer, frozen: boolean): void {
  layer.trainable = !frozen;
  if (!BATCH_NORMS.has(layer.getClassName())) return;
  if (frozen && !originalCall.has(layer)) {
    const call = layer.call.bind(layer);
    originalCall.set(layer, layer.call);
    layer.call = (inputs, kwargs) => call(inputs, { ...kwargs, training: false });
  } else if (!frozen && originalCall.has(layer)) {
    layer.call = originalCall.get(layer)!;
    originalCall.delete(layer);
  }
}

function layersOf(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((l) => l.getClassName() !== 'InputLayer');
}

/** Which layers a spec freezes; throws naming the available stages for an unknown one. */
export function layersToFreeze(model: tf.LayersModel, spec: FreezeSpec): { layers: string[]; stages: string[] } {
  const all = layersOf(model);
  if (typeof spec === 'string') {
    if (!['none', 'soft', 'medium', 'hard'].includes(spec)) throw new Error(`model.freeze: unknown preset '${spec}'. Use none, soft, medium, hard, {layers: N} or {stages: [...]}`);
    const stages = presetStages(backboneStages(model), spec, model.name);
    return { layers: all.filter((l) => stages.includes(layerStage(l.name) ?? '')).map((l) => l.name), stages };
  }
  if ('layers' in spec) {
    if (!Number.isInteger(spec.layers) || spec.layers < 0) throw new Error(`model.freeze.layers must be a whole number >= 0, got ${spec.layers}`);
    if (spec.layers > all.length) throw new Error(`model.freeze.layers is ${spec.layers} but ${model.name} has ${all.length} layers (after the input)`);
    return { layers: all.slice(0, spec.layers).map((l) => l.name), stages: [] };
  }
  const available = backboneStages(model);
  const unknown = spec.stages.filter((s) => !available.includes(s));
  if (unknown.length) throw new Error(`model.freeze.stages: ${unknown.map((s) => `'${s}'`).join(', ')} not in ${model.name}. Available: ${available.join(', ')}`);
  return { layers: all.filter((l) => spec.stages.includes(layerStage(l.name) ?? '')).map((l) => l.name), stages: [...spec.stages] };
}

/** Freeze per spec; every other layer is made trainable. */
export function freezeLayers(model: tf.LayersModel, spec: FreezeSpec): FreezeReport {
  const { layers, stages } = layersToFreeze(model, spec);
  const set = new Set(layers);
  for (const l of layersOf(model)) setFrozen(l, set.has(l.name));
  return freezeReport(model, layers, stages);
}

export function unfreezeAll(model: tf.LayersModel): FreezeReport {
  for (const l of layersOf(model)) setFrozen(l, false);
  return freezeReport(model, [], []);
}

function freezeReport(model: tf.LayersModel, frozen: string[], stages: string[]): FreezeReport {
  const set = new Set(frozen);
  const frozenParams = paramCount(layersOf(model).filter((l) => set.has(l.name)).flatMap((l) => l.weights));
  return { frozen, stages, trainableParams: paramCount(model.trainableWeights), frozenParams };
}
