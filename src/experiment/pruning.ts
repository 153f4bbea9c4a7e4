// Pruning a search's trials through the tracking store, so that parallel
// workers and shards judge each other: ASHA as Optuna's SuccessiveHalvingPruner
// (rungs at minEpochs * r^k; at a rung a trial continues only if it is in the
// top 1/r of the values recorded at that rung so far, and while fewer than r
// trials have reached it, only if it is the best of them; running trials already
// ahead of it count too, see aheadAt), and a median rule
// (after minEpochs, stop a trial whose metric is worse than the median of the
// finished trials' values at the same epoch). A trial is judged by its best
// value so far, not its last epoch's: a trial ends with its best epoch's
// weights and selection reads that epoch (val/best_accuracy), so one noisy
// epoch on a small validation set must not decide (Optuna's median rule does
// the same; its ASHA reads the last value). The rules are pure; the pruner
// records rung values as metrics `prune/rung_<k>` and reads its siblings'.
import type { EpochRow } from '../train/index';
import { resolveMode } from '../train/index';
import type { RunLogger, Tracking } from '../tracking/index';
import type { RunRecord } from '../tracking/types';
import { SWEEP_ID_TAG, SWEEP_ROLE_TAG } from './parent';
import type { PruneSpec } from './search-space';

export type Direction = 'max' | 'min';

/** The epoch of rung k: minEpochs * r^k. */
export function rungEpoch(k: number, minEpochs: number, r: number): number {
  return minEpochs * r ** k;
}

/**
 * Optuna's `_is_trial_promotable_to_next_rung`: `competing` holds every value recorded at
 * the rung, this trial's included. The top floor(n / r) are promoted; with fewer than r
 * values, only the best.
 */
export function ashaPromotes(value: number, competing: number[], r: number, direction: Direction): boolean {
  if (!Number.isFinite(value)) return false;
  let idx = Math.floor(competing.length / r) - 1;
  if (idx === -1) idx = 0;
  const sorted = [...competing].filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return true;
  return direction === 'max' ? value >= sorted[Math.max(0, sorted.length - 1 - idx)] : value <= sorted[Math.min(sorted.length - 1, idx)];
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The median rule: prune when `value` is worse than the median of `others` (values of finished trials at this epoch). */
export function medianPrunes(value: number, others: number[], o: { minTrials: number; direction: Direction }): { prune: boolean; median?: number } {
  if (!Number.isFinite(value)) return { prune: true };
  const xs = others.filter(Number.isFinite);
  if (xs.length < o.minTrials) return { prune: false };
  const m = median(xs);
  return { prune: o.direction === 'max' ? value < m : value > m, median: m };
}

const fmt = (v: number) => (Number.isFinite(v) ? String(Number(v.toPrecision(6))) : String(v));

/** Stops a trial from inside its training loop: the reason to stop after this epoch, or undefined. */
export interface EpochPruner {
  check(row: EpochRow, run: RunLogger): Promise<string | undefined>;
}

export const rungKey = (k: number) => `prune/rung_${k}`;
/** A trial's best value of the prune metric so far, logged every epoch while rungs are ahead of it. */
export const BEST_KEY = 'prune/best';

/**
 * Running siblings that will reach rung k ahead of `value`: they passed rung k - 1 (every trial
 * reaches rung 0), have epochs enough to get to the rung's epoch, and their best so far is
 * already better than `value`; a best so far only improves, so each will record a better value
 * at the rung. Without them, the first trials to reach a rung pass it unopposed (with fewer
 * than r values the best continues) however bad they are, because their rivals are slower (a
 * larger network) or started later: in a 2-worker search a chance-level trial ran all its
 * epochs, completed, and then counted as a good trial for tpe. Returns their values.
 */
export function aheadAt(siblings: RunRecord[], k: number, epoch: number, value: number, direction: Direction): number[] {
  return siblings.filter((r) => {
    if (r.info.status !== 'RUNNING' || r.metrics[rungKey(k)] !== undefined) return false;
    if (k > 0 && r.metrics[rungKey(k - 1)] === undefined) return false;
    const epochs = Number(r.params['train.epochs']);
    if (Number.isFinite(epochs) && epochs < epoch) return false;
    const b = r.metrics[BEST_KEY];
    return Number.isFinite(b) && (direction === 'max' ? b > value : b < value);
  }).map((r) => r.metrics[BEST_KEY]);
}

/**
 * The store-backed pruner of one trial of sweep `sweepId`. At the trial's last epoch (`epochs`)
 * nothing is left to save: its rung value is still recorded for the others, but it is not pruned.
 */
export function createPruner(o: { spec: PruneSpec; tracking: Tracking; experimentId: string; sweepId: string; epochs?: number }): EpochPruner {
  const { spec, tracking } = o;
  const direction: Direction = resolveMode(spec.metric, 'auto');
  let rung = 0;
  // The trial's best value of spec.metric so far (a non-finite value replaces it: such a trial is pruned).
  let best: number | undefined;
  // Finished runs do not change: their histories are read once.
  const histories = new Map<string, Map<number, number>>();
  const siblings = async (self: string): Promise<RunRecord[]> => {
    const runs = await tracking.searchRuns({ experimentIds: [o.experimentId], filter: `tags.\`${SWEEP_ID_TAG}\` = '${o.sweepId.replace(/'/g, "\\'")}'`, maxResults: 10000 });
    // A trial interrupted and re-run by --resume must not count twice.
    return runs.filter((r) => r.info.runId !== self && r.tags[SWEEP_ROLE_TAG] !== 'parent' && r.info.lifecycleStage !== 'deleted' && r.tags['cellab.outcome'] !== 'interrupted');
  };
  return {
    async check(row, run) {
      const current = row[spec.metric];
      if (typeof current !== 'number') {
        const available = Object.keys(row).filter((k) => k !== 'epoch');
        throw new Error(`sweep.prune.metric: \`${spec.metric}\` is not available${spec.metric.startsWith('val/') ? ' (is there a validation split? set dataset.split.valFraction)' : ''}. Available: ${available.join(', ')}`);
      }
      best = best === undefined || !Number.isFinite(current) || !Number.isFinite(best) ? current : direction === 'max' ? Math.max(best, current) : Math.min(best, current);
      const value = best;
      const what = `best ${spec.metric} so far`;
      if (spec.method === 'asha') {
        const atRung = row.epoch >= rungEpoch(rung, spec.minEpochs, spec.reductionFactor);
        // Our best so far, for siblings judged at a rung before we reach it (see aheadAt).
        if (o.epochs === undefined || rungEpoch(rung, spec.minEpochs, spec.reductionFactor) <= o.epochs) {
          run.logMetric(BEST_KEY, value, row.epoch);
          if (!atRung) await run.flush();
        }
        let reason: string | undefined;
        while (row.epoch >= rungEpoch(rung, spec.minEpochs, spec.reductionFactor)) {
          run.logMetric(rungKey(rung), value, row.epoch);
          // Ours must be visible to siblings before we read theirs.
          await run.flush();
          if (o.epochs !== undefined && row.epoch >= o.epochs) break;
          const sibs = await siblings(run.runId);
          const others = sibs.map((r) => r.metrics[rungKey(rung)]).filter((v): v is number => v !== undefined);
          const ahead = aheadAt(sibs, rung, rungEpoch(rung, spec.minEpochs, spec.reductionFactor), value, direction);
          const competing = [...others, ...ahead, value];
          if (!ashaPromotes(value, competing, spec.reductionFactor, direction)) {
            const keep = Math.max(1, Math.floor(competing.length / spec.reductionFactor));
            reason = `ASHA rung ${rung} (epoch ${row.epoch}): ${what} ${fmt(value)} is not in the top ${keep} of the ${competing.length} trial(s) at this rung` +
              ` (the best there: ${fmt(direction === 'max' ? Math.max(...competing) : Math.min(...competing))}` +
              `${ahead.length ? `; ${ahead.length} of them still on the way, already ahead at their best so far` : ''})`;
            break;
          }
          rung++;
        }
        return reason;
      }
      if (row.epoch < spec.minEpochs || (o.epochs !== undefined && row.epoch >= o.epochs)) return undefined;
      const finished = (await siblings(run.runId)).filter((r) => r.info.status === 'FINISHED' && r.tags['cellab.outcome'] === 'completed');
      const others: number[] = [];
      for (const r of finished) {
        let h = histories.get(r.info.runId);
        if (!h) {
          h = new Map((await tracking.getMetricHistory(r.info.runId, spec.metric)).map((p) => [p.step, p.value]));
          histories.set(r.info.runId, h);
        }
        const v = h.get(row.epoch);
        if (v !== undefined) others.push(v);
      }
      const d = medianPrunes(value, others, { minTrials: spec.minTrials, direction });
      if (!d.prune) return undefined;
      return d.median === undefined ? `${spec.metric} became ${value} at epoch ${row.epoch}`
        : `median rule (epoch ${row.epoch}): ${what} ${fmt(value)} is ${direction === 'max' ? 'below' : 'above'} the median ${fmt(d.median)} of ${others.length} finished trial(s) at this epoch`;
    },
  };
}
