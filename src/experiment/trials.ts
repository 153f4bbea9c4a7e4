// Sweep expansion: the configurations of the `sweep` (grid: the cross product
// of its lists in the order the keys are written, the last key varying
// fastest; random: `trials` draws seeded by (seed, configuration); tpe: the
// first `startup` drawn at random, the rest chosen at launch), times the folds
// of `dataset.split`. Each trial is a complete config with a stable hash.
import { applyOverride, configHash } from './config';
import { resolveModelConfig } from '../models/resolve';
import type { ExperimentConfig } from './schema';
import type { SplitConfig } from '../data/schema';
import { Random, seedFrom } from '../engine/random';
import { gridPoints, sampleRandom, searchSpec, type SearchSpec } from './search-space';

export interface Trial {
  /** 0-based position in the full sweep (stable across shards and resumes). */
  index: number;
  /** The swept values of this trial, by dotted key. */
  params: Record<string, unknown>;
  /** Held-out fold (k-fold splits), else undefined. */
  fold?: number;
  config: ExperimentConfig;
  /** `cellab.config_hash` of this trial's run ('' while `pending`). */
  configHash: string;
  /** The configuration (sweep point) this trial is a fold of: index = point * folds + fold. */
  point: number;
  method: SearchSpec['method'];
  /** tpe: params are chosen when the trial is launched (see search.ts); `params` is {} until then. */
  pending?: boolean;
}

/** Folds a split produces: k for the k-fold kinds, 1 for hold-out kinds. */
export function numFolds(split: SplitConfig): number {
  return split.kind.endsWith('kfold') ? split.folds : 1;
}

/** The RNG of configuration `point` of a random/tpe search: independent of every other point. */
export function pointRandom(seed: number, point: number): Random {
  return new Random(seedFrom(seed, 'search-point', point));
}

/** The configurations a search knows before it runs: every grid point, the random draws, tpe's startup draws. */
function knownPoints(config: ExperimentConfig, spec: SearchSpec): Record<string, unknown>[] {
  if (spec.method === 'grid') return gridPoints(spec.space, config);
  const n = spec.method === 'random' ? spec.trials! : Math.min(spec.trials!, spec.tpe.startup);
  return Array.from({ length: n }, (_, point) => sampleRandom(spec.space, pointRandom(spec.seed, point), config));
}

/** The trial config of a point: the base config with the params applied (and no sweep). */
export function trialConfig(config: ExperimentConfig, params: Record<string, unknown>): ExperimentConfig {
  const base = structuredClone({ ...config, sweep: {} }) as ExperimentConfig;
  for (const [k, v] of Object.entries(params)) applyOverride(base as unknown as Record<string, unknown>, k, structuredClone(v));
  // The trial's backbone width in its config (and hash), as for a single run.
  base.model = resolveModelConfig(base.model);
  return base;
}

/** A trial with its params set (a tpe trial once they are chosen). */
export function withParams(config: ExperimentConfig, t: Trial, params: Record<string, unknown>, projectRoot?: string): Trial {
  const c = trialConfig(config, params);
  return { ...t, params, config: c, pending: undefined, configHash: configHash(c, t.fold !== undefined ? { fold: t.fold } : {}, projectRoot) };
}

export function expandTrials(config: ExperimentConfig, projectRoot?: string): Trial[] {
  const spec = searchSpec(config);
  const folds = numFolds(config.dataset.split);
  const points = knownPoints(config, spec);
  const total = spec.method === 'grid' ? points.length : spec.trials!;
  const trials: Trial[] = [];
  for (let point = 0; point < total; point++) {
    const params = points[point];
    const base = trialConfig(config, params ?? {});
    for (let f = 0; f < folds; f++) {
      const fold = folds > 1 ? f : undefined;
      trials.push({
        index: trials.length, params: params ?? {}, fold, config: base, point, method: spec.method,
        configHash: params ? configHash(base, fold !== undefined ? { fold } : {}, projectRoot) : '',
        ...(params ? {} : { pending: true }),
      });
    }
  }
  return trials;
}

/** A sweep is anything with more than one trial, or any swept key. */
export function isSweep(config: ExperimentConfig): boolean {
  return Object.keys(config.sweep).length > 0 || numFolds(config.dataset.split) > 1;
}

/**
 * `--shard i/n`: every n-th trial starting at i (0-based). A tpe search shards by
 * configuration instead, so that one shard chooses a configuration's params for all its folds.
 */
export function shardTrials(trials: Trial[], shard: { index: number; count: number } | undefined): Trial[] {
  if (!shard) return trials;
  return trials.filter((t) => (t.method === 'tpe' ? t.point : t.index) % shard.count === shard.index);
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
