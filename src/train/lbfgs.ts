// Limited-memory BFGS for the linear heads (smooth convex objectives over a
// few thousand parameters): two-loop recursion, backtracking Armijo line
// search. Plain Float64Array maths, no tensors: it runs in a few ms per C.

export interface LbfgsOptions {
  maxIter: number;
  /** Stop when max |gradient| <= tol. */
  tol: number;
  /** History size. */
  m?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  f: number;
  iterations: number;
  converged: boolean;
}

/** `fg(x, grad)` returns f(x) and writes the gradient into `grad`. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

export function lbfgs(fg: Objective, x0: Float64Array, o: LbfgsOptions): LbfgsResult {
  const n = x0.length, m = o.m ?? 10;
  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  let f = fg(x, g);
  const S: Float64Array[] = [], Y: Float64Array[] = [], rho: number[] = [];
  const d = new Float64Array(n), xNew = new Float64Array(n), gNew = new Float64Array(n);
  const alpha = new Float64Array(m);
  let it = 0;
  for (; it < o.maxIter; it++) {
    if (maxAbs(g) <= o.tol) return { x, f, iterations: it, converged: true };
    // Two-loop recursion: d = -H g.
    for (let i = 0; i < n; i++) d[i] = -g[i];
    for (let j = S.length - 1; j >= 0; j--) {
      alpha[j] = rho[j] * dot(S[j], d);
      for (let i = 0; i < n; i++) d[i] -= alpha[j] * Y[j][i];
    }
    if (S.length) {
      const last = S.length - 1;
      const gamma = dot(S[last], Y[last]) / dot(Y[last], Y[last]);
      for (let i = 0; i < n; i++) d[i] *= gamma;
    } else {
      const gn = Math.sqrt(dot(g, g));
      for (let i = 0; i < n; i++) d[i] /= Math.max(1, gn);
    }
    for (let j = 0; j < S.length; j++) {
      const beta = rho[j] * dot(Y[j], d);
      for (let i = 0; i < n; i++) d[i] += S[j][i] * (alpha[j] - beta);
    }
    let slope = dot(g, d);
    if (!(slope < 0)) {                       // not a descent direction: restart from steepest descent
      S.length = 0; Y.length = 0; rho.length = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i];
      slope = -dot(g, g);
    }
    let step = 1, fNew = Infinity, ok = false;
    for (let ls = 0; ls < 40; ls++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i] + step * d[i];
      fNew = fg(xNew, gNew);
      if (fNew <= f + 1e-4 * step * slope) { ok = true; break; }
      step *= 0.5;
    }
    if (!ok) return { x, f, iterations: it, converged: false };   // no progress possible at float precision
    const s = new Float64Array(n), y = new Float64Array(n);
    for (let i = 0; i < n; i++) { s[i] = xNew[i] - x[i]; y[i] = gNew[i] - g[i]; }
    const sy = dot(s, y);
    if (sy > 1e-12) {
      if (S.length === m) { S.shift(); Y.shift(); rho.shift(); }
      S.push(s); Y.push(y); rho.push(1 / sy);
    }
    const fOld = f;
    x.set(xNew); g.set(gNew); f = fNew;
    if (Math.abs(fOld - f) <= 1e-12 * Math.max(1, Math.abs(f))) return { x, f, iterations: it + 1, converged: true };
  }
  return { x, f, iterations: it, converged: maxAbs(g) <= o.tol };
}
