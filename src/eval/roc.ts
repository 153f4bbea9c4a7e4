import { countsByThreshold } from './binary-curve';

export interface RocCurve { fpr: number[]; tpr: number[]; thresholds: number[]; auc: number }

/** Area under a piecewise-linear curve (trapezoids), x non-decreasing. */
export function trapezoidArea(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 1; i < x.length; i++) s += ((x[i] - x[i - 1]) * (y[i] + y[i - 1])) / 2;
  return s;
}

/**
 * ROC curve of one binary problem, as scikit-learn's roc_curve (drop_intermediate=True):
 * collinear points are dropped, the curve starts at (0, 0) with threshold +Infinity.
 * fpr (tpr) is NaN, and auc NaN, when the truth has no negatives (positives).
 */
export function rocCurve(scores: ArrayLike<number>, isPositive: (i: number) => boolean): RocCurve {
  const { thresholds, tps, fps, nPos, nNeg } = countsByThreshold(scores, isPositive);
  const m = thresholds.length;
  const keep: number[] = [];
  for (let k = 0; k < m; k++) {
    // Keep the ends and every corner (non-zero second difference in fps or tps).
    if (k === 0 || k === m - 1 || fps[k + 1] - 2 * fps[k] + fps[k - 1] !== 0 || tps[k + 1] - 2 * tps[k] + tps[k - 1] !== 0) keep.push(k);
  }
  const fpr = [0], tpr = [0], th = [Infinity];
  for (const k of keep) {
    fpr.push(fps[k] / nNeg);
    tpr.push(tps[k] / nPos);
    th.push(thresholds[k]);
  }
  if (nNeg === 0) fpr.fill(NaN);
  if (nPos === 0) tpr.fill(NaN);
  const auc = nPos === 0 || nNeg === 0 ? NaN : trapezoidArea(fpr, tpr);
  return { fpr, tpr, thresholds: th, auc };
}

/**
 * Macro-average ROC curve: the per-class tpr interpolated at every fpr any class reaches,
 * then averaged (classes with an undefined curve are left out). Its `auc` is the mean of
 * the per-class AUCs, the same number as the `auc` metric.
 */
export function macroAverageRoc(curves: RocCurve[]): { fpr: number[]; tpr: number[]; auc: number } {
  const ok = curves.filter((c) => Number.isFinite(c.auc));
  const grid = [...new Set(ok.flatMap((c) => c.fpr))].sort((a, b) => a - b);
  const tpr = grid.map((x) => ok.reduce((s, c) => s + interpolate(x, c.fpr, c.tpr), 0) / ok.length);
  const auc = ok.length === curves.length && ok.length > 0 ? ok.reduce((s, c) => s + c.auc, 0) / ok.length : NaN;
  return { fpr: grid, tpr, auc };
}

/** numpy.interp: linear interpolation in increasing xs; at repeated xs the last point wins. */
function interpolate(x: number, xs: number[], ys: number[]): number {
  if (x <= xs[0]) return ys[0];
  let hi = xs.length - 1;
  if (x >= xs[hi]) return ys[hi];
  let lo = 0;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid; else hi = mid;
  }
  return xs[lo] === x ? ys[lo] : ys[lo] + ((ys[hi] - ys[lo]) * (x - xs[lo])) / (xs[hi] - xs[lo]);
}
