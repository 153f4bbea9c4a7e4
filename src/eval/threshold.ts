import { countsByThreshold } from './binary-curve';
import { checkBinaryScores } from './validate';

export type ThresholdMetric = 'f1' | 'youden' | 'balanced_accuracy' | 'accuracy';
export const THRESHOLD_METRICS: readonly ThresholdMetric[] = ['f1', 'youden', 'balanced_accuracy', 'accuracy'];

export interface ThresholdSearchOptions {
  metric: ThresholdMetric;
  /** Only consider thresholds whose sensitivity (recall of the positives) is at least this. */
  minSensitivity?: number;
}

export interface ThresholdResult {
  /** Predict positive when score >= threshold (+Infinity: predict every sample negative). */
  threshold: number;
  metric: ThresholdMetric;
  /** The metric's value at the threshold. */
  value: number;
  /** [[tn, fp], [fn, tp]]: rows = true negative/positive, columns = predicted. */
  confusionMatrix: number[][];
  sensitivity: number;
  specificity: number;
}

// Each value is one division of exact integers, so equal ratios give equal doubles and
// ties are real ties (0.8 - 0.2 would beat 0.6 by rounding).
function metricValue(metric: ThresholdMetric, tp: number, fp: number, nPos: number, nNeg: number): number {
  const fn = nPos - tp, tn = nNeg - fp;
  switch (metric) {
    case 'f1': return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
    case 'youden': return (tp * nNeg - fp * nPos) / (nPos * nNeg);
    case 'balanced_accuracy': return (tp * nNeg + tn * nPos) / (2 * nPos * nNeg);
    case 'accuracy': return (tp + tn) / (nPos + nNeg);
  }
}

/**
 * The decision threshold on binary scores that maximises a metric, found in one sweep over
 * the distinct scores sorted once (O(n log n)). Candidates are every distinct score (predict
 * positive when score >= it) and +Infinity (all negative); on equal values the highest
 * threshold wins. With minSensitivity, only thresholds reaching that sensitivity compete.
 */
export function searchThreshold(scores: ArrayLike<number>, labels: ArrayLike<0 | 1 | boolean>, o: ThresholdSearchOptions): ThresholdResult {
  if (!THRESHOLD_METRICS.includes(o.metric)) {
    throw new RangeError(`threshold metric \`${o.metric}\` is not available. Available: ${THRESHOLD_METRICS.join(', ')}.`);
  }
  checkBinaryScores(scores, labels);
  const { thresholds, tps, fps, nPos, nNeg } = countsByThreshold(scores, (i) => labels[i] === 1 || labels[i] === true);
  if (nPos === 0 || nNeg === 0) {
    throw new RangeError(`threshold search needs both classes in the labels; got ${nPos} positive(s) and ${nNeg} negative(s).`);
  }
  const minSens = o.minSensitivity ?? 0;
  if (!(minSens >= 0 && minSens <= 1)) throw new RangeError(`minSensitivity is ${minSens}: expected a number in [0, 1].`);
  let bestK = -1, bestTp = 0, bestFp = 0;
  let bestValue = -Infinity;
  if (minSens === 0) { bestValue = metricValue(o.metric, 0, 0, nPos, nNeg); } // +Infinity: all negative
  for (let k = 0; k < thresholds.length; k++) {
    if (tps[k] / nPos < minSens) continue;
    const v = metricValue(o.metric, tps[k], fps[k], nPos, nNeg);
    if (v > bestValue) { bestValue = v; bestK = k; bestTp = tps[k]; bestFp = fps[k]; }
  }
  return {
    threshold: bestK < 0 ? Infinity : thresholds[bestK],
    metric: o.metric,
    value: bestValue,
    confusionMatrix: [[nNeg - bestFp, bestFp], [nPos - bestTp, bestTp]],
    sensitivity: bestTp / nPos,
    specificity: (nNeg - bestFp) / nNeg,
  };
}

/**
 * The metric at every distinct score used as threshold (predict positive when score >= it),
 * thresholds ascending; with `points`, at most that many, evenly spaced over the score range
 * (each evaluated exactly). What a plot of the threshold search draws.
 */
export function thresholdCurve(scores: ArrayLike<number>, labels: ArrayLike<0 | 1 | boolean>, o: { metric: ThresholdMetric; points?: number }): { thresholds: number[]; values: number[] } {
  checkBinaryScores(scores, labels);
  const { thresholds, tps, fps, nPos, nNeg } = countsByThreshold(scores, (i) => labels[i] === 1 || labels[i] === true);
  if (nPos === 0 || nNeg === 0) throw new RangeError(`a threshold curve needs both classes; got ${nPos} positive(s) and ${nNeg} negative(s).`);
  // thresholds are descending; k(t) = the last index with thresholds[k] >= t.
  const at = (k: number) => metricValue(o.metric, k < 0 ? 0 : tps[k], k < 0 ? 0 : fps[k], nPos, nNeg);
  const n = thresholds.length;
  if (!o.points || o.points >= n) {
    const ts: number[] = [], vs: number[] = [];
    for (let k = n - 1; k >= 0; k--) { ts.push(thresholds[k]); vs.push(at(k)); }
    return { thresholds: ts, values: vs };
  }
  const lo = thresholds[n - 1], hi = thresholds[0];
  const ts: number[] = [], vs: number[] = [];
  let k = n - 1;
  for (let p = 0; p < o.points; p++) {
    const t = o.points === 1 ? lo : lo + ((hi - lo) * p) / (o.points - 1);
    while (k >= 0 && thresholds[k] < t) k--;
    ts.push(t);
    vs.push(at(k));
  }
  return { thresholds: ts, values: vs };
}
