// Tree-structured Parzen Estimator, as Optuna's default (independent) TPESampler:
// per parameter, the trials that have it are ranked and split at gamma into good
// and bad; each side becomes a Parzen density (truncated Gaussian kernels, in log
// space for log-scaled keys, with Optuna's bandwidths, magic clip and prior
// kernel; weighted categorical counts with a uniform prior); `candidates` draws
// from the good density l(x) are scored by l(x)/g(x) and the best is taken.
// Pure: the caller hands it the history and a seeded RNG.
import type { Random } from '../engine/random';
import { applies, roundSample, sampleValue, type Distribution, type ParamSpace } from './search-space';
import { canonicalJson } from './config';

/** A finished trial as TPE sees it. Higher `value` is better. */
export interface Observation {
  params: Record<string, unknown>;
  /**
   * completed: ranked by value; pruned rank below every completed trial, those that got further
   * (more epochs) first, then by value; failed (diverged) rank last.
   */
  state: 'completed' | 'pruned' | 'failed';
  value: number;
  /** Pruned trials: the epoch they were stopped at (Optuna ranks pruned trials by the step reached, then value). */
  epochs?: number;
  /** Sweep order (older observations get less weight once there are more than 25). */
  order: number;
}

export interface TpeOptions {
  gamma: number;
  candidates: number;
  /** Weight of the prior kernel / uniform categorical prior (Optuna: 1). */
  priorWeight?: number;
}

// A pruned trial's value is its best so far at the epoch it stopped: one stopped at a later rung
// beat its rivals at every earlier rung, so (like Optuna) it ranks above any stopped earlier.
const rankKey = (o: Observation) => [o.state === 'completed' ? 0 : o.state === 'pruned' ? 1 : 2,
  o.state === 'pruned' ? -(o.epochs ?? 0) : 0, -(Number.isFinite(o.value) ? o.value : -Infinity)];

/** Good trials: ceil(gamma * n), at most 25 (Optuna's cap). */
export function nGood(n: number, gamma: number): number {
  return Math.min(Math.ceil(gamma * n), 25);
}

/** Optuna's default_weights: flat for n < 25, else a ramp from 1/n up to 1 for the older ones, flat for the last 25. */
export function observationWeights(n: number): number[] {
  if (n === 0) return [];
  if (n < 25) return Array(n).fill(1);
  const ramp = Array.from({ length: n - 25 }, (_, i) => (n - 25 === 1 ? 1 / n : 1 / n + (i * (1 - 1 / n)) / (n - 26)));
  return [...ramp, ...Array(25).fill(1)];
}

/** Split by rank into good (first nGood) and bad, each kept in sweep order. */
export function splitObservations(obs: Observation[], gamma: number): { good: Observation[]; bad: Observation[] } {
  const ranked = [...obs].sort((a, b) => {
    const ka = rankKey(a), kb = rankKey(b);
    return ka[0] - kb[0] || ka[1] - kb[1] || ka[2] - kb[2] || a.order - b.order;
  });
  const k = nGood(obs.length, gamma);
  const byOrder = (xs: Observation[]) => xs.sort((a, b) => a.order - b.order);
  return { good: byOrder(ranked.slice(0, k)), bad: byOrder(ranked.slice(k)) };
}

// --- numerics -----------------------------------------------------------------

/** erfc with fractional error < 1.2e-7 everywhere (Numerical Recipes' erfcc): accurate in the tails. */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
    t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

const normCdf = (x: number) => 0.5 * erfc(-x / Math.SQRT2);
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

function logSumExp(xs: number[]): number {
  const m = Math.max(...xs);
  if (m === -Infinity) return -Infinity;
  return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
}

/** A numeric key in its search space: log for loguniform and int with log; ints widened by half a step. */
interface Numeric {
  low: number;
  high: number;
  log: boolean;
  int: boolean;
}

function numericOf(d: Exclude<Distribution, { kind: 'choice' }>): Numeric {
  const log = d.kind === 'loguniform' || (d.kind === 'int' && d.log);
  const int = d.kind === 'int';
  const lo = int ? d.low - 0.5 : d.low, hi = int ? d.high + 0.5 : d.high;
  return { low: log ? Math.log(lo) : lo, high: log ? Math.log(hi) : hi, log, int };
}

/** A truncated Gaussian mixture on [low, high]. */
export interface Parzen {
  mus: number[];
  sigmas: number[];
  weights: number[];
  low: number;
  high: number;
}

/** Optuna's univariate Parzen estimator: kernel width = the larger gap to a neighbour, clipped; plus a prior kernel. */
export function parzen(xs: number[], ws: number[], low: number, high: number, priorWeight = 1): Parzen {
  const n = xs.length;
  const order = xs.map((_, i) => i).sort((a, b) => xs[a] - xs[b]);
  const sorted = order.map((i) => xs[i]);
  const withEnds = [low, ...sorted, high];
  const sortedSigmas = sorted.map((_, i) => Math.max(withEnds[i + 1] - withEnds[i], withEnds[i + 2] - withEnds[i + 1]));
  if (withEnds.length >= 4) {
    // Optuna (consider_endpoints=False): the outermost kernels look inward only.
    sortedSigmas[0] = withEnds[2] - withEnds[1];
    sortedSigmas[n - 1] = withEnds[n] - withEnds[n - 1];
  }
  const sigmas = new Array<number>(n);
  order.forEach((orig, rank) => { sigmas[orig] = sortedSigmas[rank]; });
  const maxSigma = high - low;
  const minSigma = (high - low) / Math.min(100, 1 + n + 1); // magic clip, counting the prior kernel
  const clipped = sigmas.map((s) => Math.min(maxSigma, Math.max(minSigma, s)));
  const weights = [...ws, priorWeight];
  const total = weights.reduce((a, b) => a + b, 0);
  return { mus: [...xs, (low + high) / 2], sigmas: [...clipped, high - low], weights: weights.map((w) => w / total), low, high };
}

/** log density at x (continuous), or log mass of [x - step/2, x + step/2] when `between` is given. */
export function parzenLogPdf(p: Parzen, x: number, between?: [number, number]): number {
  const terms = p.mus.map((mu, k) => {
    const s = p.sigmas[k];
    const z = normCdf((p.high - mu) / s) - normCdf((p.low - mu) / s);
    if (between) {
      const mass = normCdf((between[1] - mu) / s) - normCdf((between[0] - mu) / s);
      return Math.log(p.weights[k]) + Math.log(Math.max(mass, 1e-300)) - Math.log(Math.max(z, 1e-300));
    }
    const u = (x - mu) / s;
    return Math.log(p.weights[k]) - 0.5 * u * u - LOG_SQRT_2PI - Math.log(s) - Math.log(Math.max(z, 1e-300));
  });
  return logSumExp(terms);
}

export function parzenSample(p: Parzen, rng: Random): number {
  let r = rng.next(), k = 0;
  while (k < p.weights.length - 1 && r >= p.weights[k]) { r -= p.weights[k]; k++; }
  // Rejection from the kernel: its centre lies in [low, high], so at least ~1/3 of draws land inside.
  for (let i = 0; i < 1000; i++) {
    const x = rng.normal(p.mus[k], p.sigmas[k]);
    if (x >= p.low && x <= p.high) return x;
  }
  return Math.min(p.high, Math.max(p.low, p.mus[k]));
}

// --- one parameter ----------------------------------------------------------------

function toInternal(n: Numeric, v: number): number {
  return n.log ? Math.log(v) : v;
}

function fromInternal(n: Numeric, d: Exclude<Distribution, { kind: 'choice' }>, x: number): number {
  const v = n.log ? Math.exp(x) : x;
  if (n.int) return Math.min(d.high, Math.max(d.low, Math.round(v)));
  return Math.min(d.high, Math.max(d.low, roundSample(v)));
}

function suggestNumeric(d: Exclude<Distribution, { kind: 'choice' }>, good: Observation[], bad: Observation[], key: string, o: TpeOptions, rng: Random): number {
  const n = numericOf(d);
  const xs = (obs: Observation[]) => obs.map((ob) => toInternal(n, ob.params[key] as number));
  const pw = o.priorWeight ?? 1;
  const l = parzen(xs(good), observationWeights(good.length), n.low, n.high, pw);
  const g = parzen(xs(bad), observationWeights(bad.length), n.low, n.high, pw);
  let best = NaN, bestScore = -Infinity;
  for (let i = 0; i < o.candidates; i++) {
    const v = fromInternal(n, d, parzenSample(l, rng));
    // Ints are scored by the mass of their unit interval (in log space for log ints).
    const between: [number, number] | undefined = n.int ? [toInternal(n, v - 0.5), toInternal(n, v + 0.5)] : undefined;
    const x = toInternal(n, v);
    const score = parzenLogPdf(l, x, between) - parzenLogPdf(g, x, between);
    if (score > bestScore) { bestScore = score; best = v; }
  }
  return best;
}

function categoricalWeights(values: unknown[], obs: Observation[], key: string, pw: number): number[] {
  const index = new Map(values.map((v, i) => [canonicalJson(v), i]));
  const w = Array(values.length).fill(pw / values.length);
  observationWeights(obs.length).forEach((ow, i) => {
    const j = index.get(canonicalJson(obs[i].params[key]));
    if (j !== undefined) w[j] += ow;
  });
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / total);
}

function suggestCategorical(values: unknown[], good: Observation[], bad: Observation[], key: string, o: TpeOptions, rng: Random): unknown {
  const pw = o.priorWeight ?? 1;
  const l = categoricalWeights(values, good, key, pw), g = categoricalWeights(values, bad, key, pw);
  let best = 0, bestScore = -Infinity;
  for (let i = 0; i < o.candidates; i++) {
    let r = rng.next(), j = 0;
    while (j < l.length - 1 && r >= l[j]) { r -= l[j]; j++; }
    const score = Math.log(l[j]) - Math.log(g[j]);
    if (score > bestScore) { bestScore = score; best = j; }
  }
  return structuredClone(values[best]);
}

/**
 * Trial params chosen by TPE from `history` (finished trials). A key with fewer than
 * `minObservations` observations is drawn at random. Conditional keys are decided in
 * order and only observed on the trials where they applied.
 */
export function suggestTpe(space: ParamSpace[], history: Observation[], o: TpeOptions, rng: Random, base: unknown, minObservations = 2): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const p of space) {
    const r = rng.fork(p.key);
    if (!applies(p, params, base)) continue;
    const obs = history.filter((h) => p.key in h.params);
    if (obs.length < minObservations) { params[p.key] = sampleValue(p.dist, r); continue; }
    const { good, bad } = splitObservations(obs, o.gamma);
    params[p.key] = p.dist.kind === 'choice' ? suggestCategorical(p.dist.values, good, bad, p.key, o, r) : suggestNumeric(p.dist, good, bad, p.key, o, r);
  }
  return params;
}
