// A search at run time: tpe trials get their params when they are launched,
// from the finished trials of the sweep as recorded in the tracking store (so
// parallel workers, shards and earlier resumes share one history), and budgets
// decide whether another trial may start. Every sweep child records its params
// as the tag `cellab.trial_params` (JSON): how --resume and the history read them.
import type { Tracking } from '../tracking/index';
import type { RunRecord } from '../tracking/types';
import { SWEEP_ID_TAG, SWEEP_ROLE_TAG } from './parent';
import type { ExperimentConfig } from './schema';
import type { SearchSpec } from './search-space';
import { suggestTpe, type Observation } from './tpe';
import { pointRandom, withParams, type Trial } from './trials';

export const TRIAL_PARAMS_TAG = 'cellab.trial_params';
export const TRIAL_INDEX_TAG = 'cellab.trial_index';
export const STOPPED_BY_TAG = 'cellab.stopped_by';
/** Finished configurations a key needs before tpe models it (fewer: drawn at random). */
const MIN_OBSERVATIONS = 2;

/** The params a run recorded, or undefined (not a sweep child, or a tag cut short). */
export function recordedParams(run: RunRecord): Record<string, unknown> | undefined {
  const raw = run.tags[TRIAL_PARAMS_TAG];
  if (!raw) return undefined;
  try {
    const v = JSON.parse(raw);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export async function sweepChildren(tracking: Tracking, experimentId: string, sweepId: string): Promise<RunRecord[]> {
  const runs = await tracking.searchRuns({ experimentIds: [experimentId], filter: `tags.\`${SWEEP_ID_TAG}\` = '${sweepId.replace(/'/g, "\\'")}'`, maxResults: 10000 });
  return runs.filter((r) => r.tags[SWEEP_ROLE_TAG] !== 'parent' && r.info.lifecycleStage !== 'deleted');
}

/**
 * TPE's history: one observation per configuration (sweep point) that has ended. Completed
 * folds give the mean best-epoch validation accuracy (what selection reads); a pruned fold makes
 * the point pruned (ranked below every completed one, by the epoch it was stopped at, then its
 * validation accuracy so far); a
 * diverged or collapsed fold makes it failed (ranked last). Errors and interrupted runs are left out.
 */
export function observations(runs: RunRecord[], folds: number): Observation[] {
  const byPoint = new Map<number, { params: Record<string, unknown>; runs: RunRecord[] }>();
  for (const r of runs) {
    const params = recordedParams(r);
    const index = Number(r.tags[TRIAL_INDEX_TAG]);
    if (!params || !Number.isInteger(index)) continue;
    const point = Math.floor(index / folds);
    const g = byPoint.get(point) ?? { params, runs: [] };
    g.runs.push(r);
    byPoint.set(point, g);
  }
  const out: Observation[] = [];
  for (const [point, g] of [...byPoint].sort((a, b) => a[0] - b[0])) {
    const outcomes = g.runs.map((r) => r.tags['cellab.outcome']);
    const values = g.runs.filter((r) => r.tags['cellab.outcome'] === 'completed' || r.tags['cellab.outcome'] === 'pruned')
      .map((r) => r.metrics['val/best_accuracy']).filter((v): v is number => Number.isFinite(v));
    const value = values.length ? values.reduce((a, b) => a + b, 0) / values.length : -Infinity;
    if (outcomes.some((o) => o === 'diverged' || o === 'collapsed')) out.push({ params: g.params, state: 'failed', value: -Infinity, order: point });
    else if (outcomes.some((o) => o === 'pruned')) {
      // Folds stopped at different epochs: the configuration got as far as its shortest fold.
      const stopped = g.runs.filter((r) => r.tags['cellab.outcome'] === 'pruned').map((r) => Number(r.tags['cellab.pruned_epoch'])).filter(Number.isFinite);
      out.push({ params: g.params, state: 'pruned', value, order: point, ...(stopped.length ? { epochs: Math.min(...stopped) } : {}) });
    }
    else if (outcomes.length === folds && outcomes.every((o) => o === 'completed')) out.push({ params: g.params, state: 'completed', value, order: point });
  }
  return out;
}

export function describeParams(params: Record<string, unknown>): string {
  return Object.entries(params).map(([k, v]) => `${k.split('.').pop()}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' ') || '(defaults)';
}

/** Chooses the params of tpe trials at launch; every fold of a configuration gets the same. */
export class TrialChooser {
  private readonly chosen = new Map<number, Promise<Record<string, unknown>>>();

  constructor(private readonly o: {
    spec: SearchSpec; config: ExperimentConfig; tracking: Tracking; experimentId: string; sweepId: string;
    folds: number; projectRoot?: string; log: (line: string) => void;
  }) {}

  async materialize(t: Trial): Promise<Trial> {
    if (!t.pending) return t;
    let p = this.chosen.get(t.point);
    if (!p) {
      p = this.choose(t);
      this.chosen.set(t.point, p);
    }
    return withParams(this.o.config, t, await p, this.o.projectRoot);
  }

  private async choose(t: Trial): Promise<Record<string, unknown>> {
    const { spec, tracking, experimentId, sweepId, folds } = this.o;
    const runs = await sweepChildren(tracking, experimentId, sweepId);
    // Chosen before (an interrupted trial re-run by --resume, or another fold): the same params again.
    const earlier = runs.find((r) => Math.floor(Number(r.tags[TRIAL_INDEX_TAG]) / folds) === t.point && recordedParams(r));
    if (earlier) return recordedParams(earlier)!;
    const history = observations(runs, folds);
    const params = suggestTpe(spec.space, history, { gamma: spec.tpe.gamma, candidates: spec.tpe.candidates }, pointRandom(spec.seed, t.point).fork('tpe'), this.o.config, MIN_OBSERVATIONS);
    this.o.log(`cellab: trial ${t.index}: ${history.length < MIN_OBSERVATIONS ? `drawn at random (${history.length} finished configuration(s) so far; tpe needs ${MIN_OBSERVATIONS})` : `tpe chose from ${history.length} finished configuration(s)`}: ${describeParams(params)}`);
    return params;
  }
}

/**
 * `sweep.budget`: `trials` counts the trials (runs) the whole sweep has started, all shards and
 * resumes included; `minutes` is this process's wall clock. `reserve` is serialised so that
 * concurrent workers cannot both take the last trial of the budget.
 */
export class Budget {
  private readonly started = Date.now();
  private readonly launched = new Set<number>();
  private gate: Promise<unknown> = Promise.resolve();
  stoppedBy?: string;

  constructor(private readonly o: { budget: SearchSpec['budget']; tracking: Tracking; experimentId: string; sweepId: string; now?: () => number }) {}

  get limited(): boolean {
    return this.o.budget.trials !== undefined || this.o.budget.minutes !== undefined;
  }

  /** True when trial `index` may start (a trial that already has a run, re-run by --resume, always may). */
  reserve(index: number): Promise<boolean> {
    const next = this.gate.then(() => this.check(index));
    this.gate = next.catch(() => undefined);
    return next;
  }

  private async check(index: number): Promise<boolean> {
    if (this.stoppedBy) return false;
    const { minutes, trials } = this.o.budget;
    const now = (this.o.now ?? Date.now)();
    if (minutes !== undefined && now - this.started >= minutes * 60_000) {
      this.stoppedBy = `budget.minutes: ${minutes} minute(s) spent`;
      return false;
    }
    if (trials !== undefined) {
      const recorded = new Set((await sweepChildren(this.o.tracking, this.o.experimentId, this.o.sweepId)).map((r) => Number(r.tags[TRIAL_INDEX_TAG])));
      for (const i of this.launched) recorded.add(i);
      if (!recorded.has(index) && recorded.size >= trials) {
        this.stoppedBy = `budget.trials: ${trials} trial(s) started`;
        return false;
      }
    }
    this.launched.add(index);
    return true;
  }
}
