// Limited-memory BFGS for the linear heads (smooth convex objectives over a
// few thousand parameters): two-loop recursion, backtracking Armijo line
// search. Plain Float64Array maths, no tensors; the history lives in
// preallocated ring buffers, so an iteration allocates nothing.
// Stopping rules are scipy's L-BFGS-B (what scikit-learn's lbfgs solver runs):
// max |gradient| <= tol (pgtol; no bounds, so the projected gradient is the
// gradient), or a relative decrease of f of at most 64 machine epsilons
// (scikit-learn's ftol), or maxIter iterations.

export interface LbfgsOptions {
  maxIter: number;
  /** Stop when max |gradient| <= tol. */
  tol: number;
  /** History size (scipy's maxcor, 10). */
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

/** scikit-learn's ftol for lbfgs: 64 * float64 epsilon. */
const FTOL = 64 * Number.EPSILON;

function dot(a: Float64Array, b: Float64Array, n: number): number {
  let s0 = 0, s1 = 0, i = 0;
  for (; i + 1 < n; i += 2) { s0 += a[i] * b[i]; s1 += a[i + 1] * b[i + 1]; }
  if (i < n) s0 += a[i] * b[i];
  return s0 + s1;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) { const v = Math.abs(a[i]); if (v > m) m = v; }
  return m;
}

export function lbfgs(fg: Objective, x0: Float64Array, o: LbfgsOptions): LbfgsResult {
  const n = x0.length, m = o.m ?? 10;
  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  let f = fg(x, g);
  // Ring buffers: pair j (0 = oldest) is in slot (head + j) % m.
  const S = Array.from({ length: m }, () => new Float64Array(n)), Y = Array.from({ length: m }, () => new Float64Array(n));
  const rho = new Float64Array(m), alpha = new Float64Array(m);
  let head = 0, count = 0;
  const d = new Float64Array(n), xNew = new Float64Array(n), gNew = new Float64Array(n);
  let it = 0;
  for (; it < o.maxIter; it++) {
    if (maxAbs(g) <= o.tol) return { x, f, iterations: it, converged: true };
    // Two-loop recursion: d = -H g.
    for (let i = 0; i < n; i++) d[i] = -g[i];
    for (let j = count - 1; j >= 0; j--) {
      const slot = (head + j) % m, yj = Y[slot];
      const a = rho[slot] * dot(S[slot], d, n);
      alpha[slot] = a;
      for (let i = 0; i < n; i++) d[i] -= a * yj[i];
    }
    if (count) {
      const last = (head + count - 1) % m;
      const gamma = dot(S[last], Y[last], n) / dot(Y[last], Y[last], n);
      for (let i = 0; i < n; i++) d[i] *= gamma;
    } else {
      const gn = Math.sqrt(dot(g, g, n));
      for (let i = 0; i < n; i++) d[i] /= Math.max(1, gn);
    }
    for (let j = 0; j < count; j++) {
      const slot = (head + j) % m, sj = S[slot];
      const c = alpha[slot] - rho[slot] * dot(Y[slot], d, n);
      for (let i = 0; i < n; i++) d[i] += sj[i] * c;
    }
    let slope = dot(g, d, n);
    if (!(slope < 0)) {                       // not a descent direction: restart from steepest descent
      head = 0; count = 0;
      for (let i = 0; i < n; i++) d[i] = -g[i];
      slope = -dot(g, g, n);
    }
    let step = 1, fNew = Infinity, ok = false;
    for (let ls = 0; ls < 40; ls++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i] + step * d[i];
      fNew = fg(xNew, gNew);
      if (fNew <= f + 1e-4 * step * slope) { ok = true; break; }
      step *= 0.5;
    }
    if (!ok) return { x, f, iterations: it, converged: false };   // no progress possible at float precision
    // The new pair goes to the slot after the newest (over the oldest when full).
    const slot = count < m ? (head + count) % m : head;
    const s = S[slot], y = Y[slot];
    for (let i = 0; i < n; i++) { s[i] = xNew[i] - x[i]; y[i] = gNew[i] - g[i]; }
    const sy = dot(s, y, n);
    if (sy > 1e-12) {
      rho[slot] = 1 / sy;
      if (count < m) count++; else head = (head + 1) % m;
    }
    const fOld = f;
    x.set(xNew); g.set(gNew); f = fNew;
    if (fOld - f <= FTOL * Math.max(Math.abs(fOld), Math.abs(f), 1)) return { x, f, iterations: it + 1, converged: true };
  }
  return { x, f, iterations: it, converged: maxAbs(g) <= o.tol };
}
