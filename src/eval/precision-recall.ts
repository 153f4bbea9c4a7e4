import { countsByThreshold } from './binary-curve';

export interface PrCurve { precision: number[]; recall: number[]; thresholds: number[]; averagePrecision: number }

/**
 * Precision-recall curve as scikit-learn's precision_recall_curve (recall decreasing, ending
 * at precision 1, recall 0), and average precision = sum over steps of (R_k - R_{k+1}) P_k.
 * With no positives in the truth the curve is undefined: recall and averagePrecision are NaN.
 */
export function prCurve(scores: ArrayLike<number>, isPositive: (i: number) => boolean): PrCurve {
  const { thresholds, tps, fps, nPos } = countsByThreshold(scores, isPositive);
  const m = thresholds.length;
  const precision: number[] = [], recall: number[] = [], th: number[] = [];
  for (let k = m - 1; k >= 0; k--) {
    const predicted = tps[k] + fps[k];
    precision.push(predicted === 0 ? 0 : tps[k] / predicted);
    recall.push(nPos === 0 ? NaN : tps[k] / nPos);
    th.push(thresholds[k]);
  }
  precision.push(1);
  recall.push(nPos === 0 ? NaN : 0);
  let ap = 0;
  for (let k = 0; k < m; k++) ap += (recall[k] - recall[k + 1]) * precision[k];
  return { precision, recall, thresholds: th, averagePrecision: nPos === 0 ? NaN : ap };
}
