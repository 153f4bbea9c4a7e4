import { symmetricEigen } from '../engine/symmetric-eigen';

export interface PcaResult {
  /** k rows of d values: the principal axes, unit length. */
  components: number[][];
  /** Variance along each component (sample variance, n - 1). */
  explainedVariance: number[];
  /** Each component's share of the total variance. */
  explainedVarianceRatio: number[];
  /** Column means removed before projecting. */
  mean: number[];
  /** n rows of k values: the data in component coordinates. */
  projected: number[][];
}

/**
 * PCA by subspace iteration on the covariance X^T X / (n - 1), never formed: each step
 * costs O(n d b) for a block of b = min(k + 10, n, d) vectors, so 2,048-dimensional
 * embeddings are fine. Signs follow scikit-learn: each projected column's largest-magnitude
 * entry is positive.
 */
export function pca(rows: number[][], k: number): PcaResult {
  const n = rows.length;
  const d = n ? rows[0].length : 0;
  if (n < 2) throw new RangeError(`pca needs at least 2 rows; got ${n}.`);
  if (!Number.isInteger(k) || k < 1 || k > Math.min(n, d)) throw new RangeError(`k is ${k}: expected an integer in 1..${Math.min(n, d)} (min of rows and dimensions).`);
  rows.forEach((r, i) => { if (r.length !== d) throw new RangeError(`rows[${i}] has ${r.length} values; rows[0] has ${d}.`); });

  const mean = new Array<number>(d).fill(0);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j] += r[j] / n;
  const x = rows.map((r) => Float64Array.from(r, (v, j) => v - mean[j]));
  let totalVariance = 0;
  for (const r of x) for (let j = 0; j < d; j++) totalVariance += (r[j] * r[j]) / (n - 1);

  // cov(Q): columns of Q (d x b, stored as b vectors) mapped through X^T X / (n - 1).
  const cov = (q: Float64Array[]): Float64Array[] => q.map((col) => {
    const out = new Float64Array(d);
    for (const r of x) {
      let s = 0;
      for (let j = 0; j < d; j++) s += r[j] * col[j];
      s /= n - 1;
      for (let j = 0; j < d; j++) out[j] += s * r[j];
    }
    return out;
  });
  const dot = (a: Float64Array, b: Float64Array) => { let s = 0; for (let j = 0; j < d; j++) s += a[j] * b[j]; return s; };

  const b = Math.min(k + 10, n, d);
  // A fixed pseudo-random start keeps results reproducible.
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  let q = orthonormalise(Array.from({ length: b }, () => Float64Array.from({ length: d }, rand)), dot);
  let values: number[] = [];
  let vectors: Float64Array[] = [];
  for (let iter = 0; iter < 500; iter++) {
    const z = cov(q);
    const h = q.map((qi) => z.map((zj) => dot(qi, zj)));
    const eig = symmetricEigen(h.map((row, i) => row.map((v, j) => (v + h[j][i]) / 2)));
    const rotate = (basis: Float64Array[]) => eig.vectors[0].map((_, c) => {
      const out = new Float64Array(d);
      basis.forEach((bv, r) => { const w = eig.vectors[r][c]; for (let j = 0; j < d; j++) out[j] += w * bv[j]; });
      return out;
    });
    values = eig.values;
    vectors = rotate(q);
    const zRot = rotate(z);
    // Converged when the top k Ritz pairs have residual ||C v - lambda v|| tiny next to lambda_1.
    let residual = 0;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (zRot[c][j] - values[c] * vectors[c][j]) ** 2;
      residual = Math.max(residual, Math.sqrt(s));
    }
    if (residual <= 1e-13 * Math.max(values[0], 1e-300) || b === Math.min(d, n) && iter >= 1) break;
    q = orthonormalise(zRot, dot);
  }

  const components = vectors.slice(0, k).map((v) => Array.from(v));
  const projected = rows.map(() => new Array<number>(k).fill(0));
  components.forEach((comp, c) => {
    const col = x.map((r) => { let s = 0; for (let j = 0; j < d; j++) s += r[j] * comp[j]; return s; });
    let big = 0;
    for (let i = 1; i < n; i++) if (Math.abs(col[i]) > Math.abs(col[big])) big = i;
    const sign = col[big] < 0 ? -1 : 1;
    for (let j = 0; j < d; j++) comp[j] *= sign;
    col.forEach((v, i) => { projected[i][c] = sign * v; });
  });
  const explainedVariance = values.slice(0, k).map((v) => Math.max(v, 0));
  return {
    components,
    explainedVariance,
    explainedVarianceRatio: explainedVariance.map((v) => (totalVariance === 0 ? 0 : v / totalVariance)),
    mean,
    projected,
  };
}

/** Modified Gram-Schmidt (twice, for stability); a column that vanishes is replaced by zeros. */
function orthonormalise(cols: Float64Array[], dot: (a: Float64Array, b: Float64Array) => number): Float64Array[] {
  const out: Float64Array[] = [];
  for (const c of cols) {
    const v = Float64Array.from(c);
    const before = Math.sqrt(dot(v, v));
    for (let pass = 0; pass < 2; pass++) {
      for (const u of out) { const p = dot(u, v); for (let j = 0; j < v.length; j++) v[j] -= p * u[j]; }
    }
    const len = Math.sqrt(dot(v, v));
    out.push(len > 1e-12 * before && len > 0 ? v.map((x) => x / len) : new Float64Array(v.length));
  }
  return out;
}
