// Dimensional collapse: embeddings that keep their spread but lie along a
// few directions (SimSiam on the synthetic patterns: train/embedding_std
// ~0.6, yet one direction holds 90% of the variance). The effective rank
// (Roy & Vetterli 2007) counts the directions used: exp of the entropy of the
// variance shares of the principal axes, d when all d axes hold the same
// share, 1 when one axis holds all of it.
import { symmetricEigen } from '../../engine/symmetric-eigen';

/**
 * Effective rank of n row-major rows of d values (n >= 2), at most
 * min(n - 1, d). Eigenvalues of the smaller of the centred Gram matrix
 * (n x n) and the covariance (d x d): the same non-zero spectrum.
 * 0 when the rows do not vary at all (no direction is used).
 */
export function effectiveRank(rows: Float32Array | number[], n: number, d: number): number {
  if (!(Number.isInteger(n) && n >= 2 && Number.isInteger(d) && d >= 1)) throw new RangeError(`effectiveRank needs n >= 2 rows of d >= 1 values; got n ${n}, d ${d}`);
  if (rows.length !== n * d) throw new RangeError(`effectiveRank: ${rows.length} values are not ${n} rows of ${d}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += rows[i * d + j] / n;
  const x = Array.from({ length: n }, (_, i) => Float64Array.from({ length: d }, (_, j) => rows[i * d + j] - mean[j]));
  const m = Math.min(n, d);
  const a: number[][] = Array.from({ length: m }, () => new Array<number>(m).fill(0));
  for (let p = 0; p < m; p++) {
    for (let q = p; q < m; q++) {
      let s = 0;
      if (n <= d) { const xp = x[p], xq = x[q]; for (let j = 0; j < d; j++) s += xp[j] * xq[j]; }
      else for (let i = 0; i < n; i++) s += x[i][p] * x[i][q];
      a[p][q] = a[q][p] = s;
    }
  }
  const values = symmetricEigen(a).values.map((v) => Math.max(0, v));
  const total = values.reduce((s, v) => s + v, 0);
  if (!(total > 0)) return 0;
  let entropy = 0;
  for (const v of values) if (v > 0) entropy -= (v / total) * Math.log(v / total);
  return Math.exp(entropy);
}
