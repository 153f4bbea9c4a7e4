// Sweep expansion: the cross product of the `sweep` lists (in the order the
// keys are written, the last key varying fastest), times the folds of
// `dataset.split`. Each trial is a complete config with a stable hash.
import { applyOverride, configHash } from './config';
import { resolveModelConfig } from '../models/resolve';
import type { ExperimentConfig } from './schema';
import type { SplitConfig } from '../data/schema';

export interface Trial {
  /** 0-based position in the full sweep (stable across shards and resumes). */
  index: number;
  /** The swept values of this trial, by dotted key. */
  params: Record<string, unknown>;
  /** Held-out fold (k-fold splits), else undefined. */
  fold?: number;
  config: ExperimentConfig;
  /** `cellab.config_hash` of this trial's run. */
  configHash: string;
}

/** Folds a split produces: k for the k-fold kinds, 1 for hold-out kinds. */
export function numFolds(split: SplitConfig): number {
  return split.kind.endsWith('kfold') ? split.folds : 1;
}

export function cartesian(sweep: Record<string, unknown[]>): Record<string, unknown>[] {
  let combos: Record<string, unknown>[] = [{}];
  for (const [key, values] of Object.entries(sweep)) {
    combos = combos.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  }
  return combos;
}

export function expandTrials(config: ExperimentConfig, projectRoot?: string): Trial[] {
  const folds = numFolds(config.dataset.split);
  const trials: Trial[] = [];
  for (const params of cartesian(config.sweep)) {
    const base = structuredClone({ ...config, sweep: {} }) as ExperimentConfig;
    for (const [k, v] of Object.entries(params)) applyOverride(base as unknown as Record<string, unknown>, k, structuredClone(v));
    // The trial's backbone width in its config (and hash), as for a single run.
    base.model = resolveModelConfig(base.model);
    for (let f = 0; f < folds; f++) {
      const fold = folds > 1 ? f : undefined;
      trials.push({
        index: trials.length, params, fold, config: base,
        configHash: configHash(base, fold !== undefined ? { fold } : {}, projectRoot),
      });
    }
  }
  return trials;
}

/** A sweep is anything with more than one trial, or any swept key. */
export function isSweep(config: ExperimentConfig): boolean {
  return Object.keys(config.sweep).length > 0 || numFolds(config.dataset.split) > 1;
}

/** `--shard i/n`: every n-th trial starting at i (0-based). */
export function shardTrials(trials: Trial[], shard: { index: number; count: number } | undefined): Trial[] {
  if (!shard) return trials;
  return trials.filter((t) => t.index % shard.count === shard.index);
}

/** Short label of a trial for run names and tables: `lr=0.01 backbone=resnet18 fold=2`. */
export function trialLabel(t: Pick<Trial, 'params' | 'fold' | 'index'>): string {
  // A swept mapping (`model: [{backbone: resnet18, width: 0.25}, ...]`) reads as its keys: `backbone=resnet18 width=0.25`.
  const parts = Object.entries(t.params).flatMap(([k, v]) => (v !== null && typeof v === 'object' && !Array.isArray(v)
    ? Object.entries(v as Record<string, unknown>).map(([k2, v2]) => `${k2}=${typeof v2 === 'object' ? JSON.stringify(v2) : String(v2)}`)
    : [`${k.split('.').pop()}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`]));
  if (t.fold !== undefined) parts.push(`fold=${t.fold}`);
  return parts.length ? parts.join(' ') : `trial ${t.index}`;
}
