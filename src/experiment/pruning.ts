// Pruning a search's trials through the tracking store, so that parallel
// workers and shards judge each other: ASHA as Optuna's SuccessiveHalvingPruner
// (rungs at minEpochs * r^k; at a rung a trial continues only if it is in the
// top 1/r of the values recorded at that rung so far, and while fewer than r
// trials have reached it, only if it is the best of them; running trials already
// ahead of it count too, see aheadAt), Hyperband as Optuna's HyperbandPruner
// (brackets of ASHA whose first rung is minEpochs * r^b: a trial is assigned to
// one bracket and competes only inside it, so a network that learns slowly at
// first but ends best survives in the brackets that judge later), and a median rule
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
export function aheadAt(siblings: RunRecord[], k: number, epoch: number, value: number, direction: Direction, firstRung = 0): number[] {
  return siblings.filter((r) => {
    if (r.info.status !== 'RUNNING' || r.metrics[rungKey(k)] !== undefined) return false;
    if (k > firstRung && r.metrics[rungKey(k - 1)] === undefined) return false;
    const epochs = Number(r.params['train.epochs']);
    if (Number.isFinite(epochs) && epochs < epoch) return false;
    const b = r.metrics[BEST_KEY];
    return Number.isFinite(b) && (direction === 'max' ? b > value : b < value);
  }).map((r) => r.metrics[BEST_KEY]);
}

/** Hyperband's brackets for trials of `maxEpochs`: floor(log_r(maxEpochs / minEpochs)) + 1 (Optuna's n_brackets), at least 1. */
export function hyperbandBrackets(minEpochs: number, r: number, maxEpochs: number): number {
  // The epsilon keeps an exact power (e.g. 18 / 2 = 9 = 3^2) from rounding down.
  return Math.max(1, Math.floor(Math.log(maxEpochs / minEpochs) / Math.log(r) + 1e-9) + 1);
}

/**
 * Optuna's trial allocation: bracket b gets ceil(n * r^s / (s + 1)) shares, s = n - 1 - b, so the
 * bracket that judges earliest (b = 0, the most trials stopped soonest) gets the most trials.
 */
export function bracketShares(brackets: number, r: number): number[] {
  return Array.from({ length: brackets }, (_, b) => {
    const s = brackets - 1 - b;
    return Math.ceil((brackets * r ** s) / (s + 1));
  });
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(text: string): number {
  let c = 0xffffffff;
  for (const byte of Buffer.from(text, 'utf8')) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The bracket of configuration `point` of a search seeded `seed` (Optuna: crc32 of "<study>_<trial>"
 * over the shares). Seed and point, not the sweep id: a plain re-run is a new sweep, and the same
 * file and seed must give the same brackets.
 */
export function hyperbandBracket(seed: number, point: number, shares: number[]): number {
  let n = crc32(`${seed}_${point}`) % shares.reduce((a, b) => a + b, 0);
  for (let b = 0; b < shares.length; b++) {
    n -= shares[b];
    if (n < 0) return b;
  }
  return shares.length - 1;
}

export const BRACKET_TAG = 'cellab.bracket';

/**
 * The store-backed pruner of one trial of sweep `sweepId`. At the trial's last epoch (`epochs`)
 * nothing is left to save: its rung value is still recorded for the others, but it is not pruned.
 */
export function createPruner(o: { spec: PruneSpec; tracking: Tracking; experimentId: string; sweepId: string; epochs?: number; point?: number; seed?: number }): EpochPruner {
  const { spec, tracking } = o;
  const direction: Direction = resolveMode(spec.metric, 'auto');
  // Hyperband: this configuration's bracket b; its rungs start at rung b (epoch minEpochs * r^b).
  let bracket: number | undefined;
  if (spec.method === 'hyperband') {
    const maxEpochs = spec.maxEpochs ?? o.epochs;
    if (maxEpochs === undefined) throw new Error('sweep.prune.method: hyperband needs the trials\' epochs: set train.epochs (or sweep.prune.maxEpochs)');
    bracket = hyperbandBracket(o.seed ?? 0, o.point ?? 0, bracketShares(hyperbandBrackets(spec.minEpochs, spec.reductionFactor, maxEpochs), spec.reductionFactor));
  }
  const firstRung = bracket ?? 0;
  let rung = firstRung;
  let tagged = false;
  // The trial's best value of spec.metric so far (a non-finite value replaces it: such a trial is pruned).
  let best: number | undefined;
  // Finished runs do not change: their histories are read once.
  const histories = new Map<string, Map<number, number>>();
  const siblings = async (self: string): Promise<RunRecord[]> => {
    const runs = await tracking.searchRuns({ experimentIds: [o.experimentId], filter: `tags.\`${SWEEP_ID_TAG}\` = '${o.sweepId.replace(/'/g, "\\'")}'`, maxResults: 10000 });
    // A trial interrupted and re-run by --resume must not count twice.
    return runs.filter((r) => r.info.runId !== self && r.tags[SWEEP_ROLE_TAG] !== 'parent' && r.info.lifecycleStage !== 'deleted' && r.tags['cellab.outcome'] !== 'interrupted' &&
      // Hyperband: a trial competes only inside its bracket.
      (bracket === undefined || r.tags[BRACKET_TAG] === String(bracket)));
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
      if (bracket !== undefined && !tagged) {
        run.setTag(BRACKET_TAG, String(bracket));
        tagged = true;
      }
      if (spec.method === 'asha' || spec.method === 'hyperband') {
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
          const ahead = aheadAt(sibs, rung, rungEpoch(rung, spec.minEpochs, spec.reductionFactor), value, direction, firstRung);
          const competing = [...others, ...ahead, value];
          if (!ashaPromotes(value, competing, spec.reductionFactor, direction)) {
            const keep = Math.max(1, Math.floor(competing.length / spec.reductionFactor));
            reason = `${bracket === undefined ? 'ASHA' : `Hyperband bracket ${bracket},`} rung ${rung} (epoch ${row.epoch}): ${what} ${fmt(value)} is not in the top ${keep} of the ${competing.length} trial(s) at this rung` +
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

/** How a prune spec judges, for --dry-run: ` (rungs at epochs 2, 6, 18, ...; the top 1/3 continue)`. */
export function describePruning(spec: PruneSpec, epochs: number): string {
  const r = spec.reductionFactor;
  const rungs = (from: number) => [0, 1, 2].map((k) => rungEpoch(from + k, spec.minEpochs, r)).join(', ');
  if (spec.method === 'asha') return ` (rungs at epochs ${rungs(0)}, ...; the top 1/${r} continue)`;
  if (spec.method === 'median') return ` (from epoch ${spec.minEpochs}, below the median of finished trials)`;
  const max = spec.maxEpochs ?? epochs;
  const n = hyperbandBrackets(spec.minEpochs, r, max);
  const shares = bracketShares(n, r), total = shares.reduce((a, b) => a + b, 0);
  // The rungs a trial of `max` epochs meets (a rung at its last epoch judges nothing).
  const within = (b: number) => Array.from({ length: 64 }, (_, k) => rungEpoch(b + k, spec.minEpochs, r)).filter((e) => e < max);
  return ` (${n} bracket(s) for ${max} epochs; each configuration is in one and competes only there: ` +
    shares.map((w, b) => `bracket ${b} (${w}/${total} of the configurations) ${within(b).length ? `judges at epoch(s) ${within(b).join(', ')}` : 'runs to the end'}`).join('; ') + `; the top 1/${r} continue)`;
}
