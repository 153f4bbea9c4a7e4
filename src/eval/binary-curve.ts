// The counts behind ROC and PR curves and the threshold search: for every distinct score,
// taken from high to low, how many positives (tps) and negatives (fps) score at or above it.
// Positives and negatives are sorted separately with the typed-array numeric sort (no
// comparator: several times faster than sorting an index array) and merged in one sweep.

export interface ThresholdCounts {
  /** Distinct scores, descending. */
  thresholds: Float64Array;
  /** tps[k] = positives with score >= thresholds[k]. */
  tps: Float64Array;
  /** fps[k] = negatives with score >= thresholds[k]. */
  fps: Float64Array;
  nPos: number;
  nNeg: number;
}

export function countsByThreshold(scores: ArrayLike<number>, isPositive: (i: number) => boolean): ThresholdCounts {
  const n = scores.length;
  let nPos = 0;
  const flags = new Uint8Array(n);
  for (let i = 0; i < n; i++) if (isPositive(i)) { flags[i] = 1; nPos++; }
  const nNeg = n - nPos;
  const pos = new Float64Array(nPos), neg = new Float64Array(nNeg);
  for (let i = 0, p = 0, q = 0; i < n; i++) {
    if (flags[i]) pos[p++] = scores[i]; else neg[q++] = scores[i];
  }
  pos.sort();
  neg.sort();
  const thresholds = new Float64Array(n), tps = new Float64Array(n), fps = new Float64Array(n);
  let i = nPos - 1, j = nNeg - 1, tp = 0, fp = 0, k = 0;
  while (i >= 0 || j >= 0) {
    const a = i >= 0 ? pos[i] : -Infinity, b = j >= 0 ? neg[j] : -Infinity;
    const v = a > b ? a : b;
    while (i >= 0 && pos[i] === v) { tp++; i--; }
    while (j >= 0 && neg[j] === v) { fp++; j--; }
    thresholds[k] = v; tps[k] = tp; fps[k] = fp; k++;
  }
  return { thresholds: thresholds.subarray(0, k), tps: tps.subarray(0, k), fps: fps.subarray(0, k), nPos, nNeg };
}
