// Linear classifiers on feature vectors, with scikit-learn's objectives:
//   logistic  multinomial logistic regression (LogisticRegression, lbfgs):
//             C * sum_i w_i CE(softmax(W x_i + b), y_i) + ||W||^2 / 2, intercept not penalised
//   svm       one-vs-rest squared hinge (LinearSVC defaults):
//             per class, C * sum_i w_i max(0, 1 - t_ik (w_k x_i + b_k))^2 + (||w_k||^2 + b_k^2) / 2
//             (liblinear penalises the intercept too)
// w_i is the sample's class weight; for svm, as liblinear's one-vs-rest, the
// weight of class c applies to its own samples in the "c vs rest" problem and
// the rest count 1. Solved with L-BFGS; both objectives are
// divided by sum_i w_i for conditioning, which does not move the minimum.
import { linearKernels, type LinearKernels } from '../engine/linear-kernels';
import { lbfgs } from './lbfgs';

export type LinearKind = 'logistic' | 'svm';

export interface LinearData {
  /** Row-major [n, d]. */
  x: Float64Array;
  n: number;
  d: number;
  y: Int32Array;
  k: number;
}

export interface LinearModel {
  kind: LinearKind;
  C: number;
  d: number;
  k: number;
  /** Row-major [k, d]. */
  W: Float64Array;
  b: Float64Array;
  iterations: number;
  converged: boolean;
  /** The (scaled) objective at the solution. */
  objective: number;
}

export interface LinearFitOptions {
  C: number;
  maxIter?: number;
  tol?: number;
  /** Per-class weights (scikit-learn's class_weight). */
  classWeights?: number[];
  /** Start from this model (warm start along a C path). */
  init?: LinearModel;
}

/**
 * sum_j w[wo + j] * x[xo + j] over d terms, in four independent partial sums:
 * V8 does not vectorise, but it overlaps four dependency chains (1.6x one chain).
 */
function dotAt(w: Float64Array, wo: number, x: Float64Array, xo: number, d: number): number {
  let a0 = 0, a1 = 0, a2 = 0, a3 = 0, j = 0;
  for (; j + 3 < d; j += 4) {
    a0 += w[wo + j] * x[xo + j];
    a1 += w[wo + j + 1] * x[xo + j + 1];
    a2 += w[wo + j + 2] * x[xo + j + 2];
    a3 += w[wo + j + 3] * x[xo + j + 3];
  }
  for (; j < d; j++) a0 += w[wo + j] * x[xo + j];
  return (a0 + a1) + (a2 + a3);
}

/** Decision values [n, k]: W x + b. */
export function decisionFunction(m: Pick<LinearModel, 'W' | 'b' | 'd' | 'k'>, x: Float64Array, n: number): Float64Array {
  const { W, b, d, k } = m;
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) out[i * k + c] = b[c] + dotAt(W, c * d, x, i * d, d);
  return out;
}

/** Row-wise softmax, in place. */
export function softmaxRows(s: Float64Array, k: number): Float64Array {
  for (let o = 0; o < s.length; o += k) {
    let mx = -Infinity;
    for (let c = 0; c < k; c++) mx = Math.max(mx, s[o + c]);
    let z = 0;
    for (let c = 0; c < k; c++) { s[o + c] = Math.exp(s[o + c] - mx); z += s[o + c]; }
    for (let c = 0; c < k; c++) s[o + c] /= z;
  }
  return s;
}

/** The kernels' heap for one problem size: X [n, d], X^T, labels, then the objective's arrays (offsets in doubles). */
interface Workspace {
  kern: LinearKernels;
  oXT: number; oY: number; oW: number; oB: number; oS: number; oP: number; oG: number; oGb: number; oZ: number; oSw: number; oPos: number;
  /** The objective whose data is on the heap. */
  owner?: object;
}

// One heap per training array and size (and kernel choice): the 20 fits of a C path share one
// allocation. Each objective copies its data in when it first runs (and again if another objective
// ran in between), so a caller that changes x or y in place between fits is never served stale data.
const workspaces = new WeakMap<Float64Array, Map<string, Workspace>>();

function workspace(data: LinearData): Workspace {
  const { x, n, d, k } = data;
  const key = `${process.env.CELLAB_SIMD_KERNELS === '0' ? 'js' : 'any'} ${n} ${d} ${k}`;
  let byKey = workspaces.get(x);
  if (!byKey) workspaces.set(x, byKey = new Map());
  let ws = byKey.get(key);
  if (!ws) {
    const oXT = n * d, oY = 2 * n * d, oW = oY + n, oB = oW + k * d, oS = oB + k, oP = oS + n * k, oG = oP + k * n;
    const oGb = oG + k * d, oZ = oGb + k, oSw = oZ + n, oPos = oSw + n;
    ws = { kern: linearKernels(oPos + k), oXT, oY, oW, oB, oS, oP, oG, oGb, oZ, oSw, oPos };
    byKey.set(key, ws);
  }
  return ws;
}

/**
 * The scaled objective and its gradient as matrix products: S = X W^T, then
 * one pass over S for the loss and d loss / d (S + b) per sample (softmax or
 * squared hinge, times its weight) into P, then dW = P^T X. All in float64
 * on the linear kernels' heap (engine/linear-kernels.ts: wasm, or JavaScript).
 */
export function linearObjective(kind: LinearKind, data: LinearData, C: number, sw: Float64Array, swSum: number, classWeights?: number[]) {
  const { n, d, k } = data;
  const nw = k * d;
  const reg = 1 / (C * swSum);
  const ws = workspace(data);
  const { kern, oXT, oY, oW, oB, oS, oP, oG, oGb, oZ, oSw, oPos } = ws;
  const h = kern.heap;
  // svm: the weight of class c applies to its own samples in "c vs rest"; the rest count 1.
  const negW = 1 / swSum;
  const penalised = kind === 'svm' ? nw + k : nw;
  const self = {};
  return (theta: Float64Array, grad: Float64Array): number => {
    if (ws.owner !== self) {
      const { x, y } = data;
      h.set(x.subarray(0, n * d), 0);
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) h[oXT + j * n + i] = x[i * d + j];
      for (let i = 0; i < n; i++) h[oY + i] = y[i];
      for (let i = 0; i < n; i++) h[oSw + i] = sw[i] / swSum;
      for (let c = 0; c < k; c++) h[oPos + c] = (classWeights ? classWeights[c] : 1) / swSum;
      ws.owner = self;
    }
    h.set(theta.subarray(0, nw + k), oW);   // W then b (oB = oW + k d)
    kern.gemmNT(0, n, oW, k, d, oS);
    let loss: number;
    if (kind === 'logistic') {
      loss = kern.softmaxGrad(oS, oB, oY, oSw, n, k, oP, oGb, oZ);
      for (let i = 0; i < n; i++) loss += h[oSw + i] * Math.log(h[oZ + i]);
    } else {
      loss = kern.sqHingeGrad(oS, oB, oY, oPos, negW, n, k, oP, oGb);
    }
    kern.gemmNT(oP, k, oXT, d, n, oG);
    grad.set(h.subarray(oG, oG + nw + k));   // dW then db (oGb = oG + k d)
    let pen = 0;
    for (let j = 0; j < penalised; j++) { pen += theta[j] * theta[j]; grad[j] += reg * theta[j]; }
    return loss + 0.5 * reg * pen;
  };
}

export function fitLinear(kind: LinearKind, data: LinearData, o: LinearFitOptions): LinearModel {
  const { n, d, k, y } = data;
  if (!(o.C > 0)) throw new Error(`linear head: C must be > 0, got ${o.C}`);
  if (o.classWeights && o.classWeights.length !== k) throw new Error(`linear head: ${o.classWeights.length} class weights for ${k} classes`);
  const sw = new Float64Array(n);
  let swSum = 0;
  for (let i = 0; i < n; i++) { sw[i] = o.classWeights && kind === 'logistic' ? o.classWeights[y[i]] : 1; swSum += sw[i]; }
  const theta0 = new Float64Array(k * d + k);
  if (o.init && o.init.d === d && o.init.k === k) {
    theta0.set(o.init.W); theta0.set(o.init.b, k * d);
  } else if (kind === 'logistic') {
    // Intercepts at the (weighted) log class prior: the optimum when W = 0, so tiny C needs no iterations.
    const prior = new Float64Array(k);
    for (let i = 0; i < n; i++) prior[y[i]] += sw[i];
    for (let c = 0; c < k; c++) theta0[k * d + c] = Math.log(Math.max(prior[c], 1e-12) / swSum);
  }
  // scikit-learn's defaults: max_iter 100, tol 1e-4 (on the gradient of the 1/sum(w)-scaled objective).
  const r = lbfgs(linearObjective(kind, data, o.C, sw, swSum, o.classWeights), theta0, { maxIter: o.maxIter ?? 100, tol: o.tol ?? 1e-4 });
  return { kind, C: o.C, d, k, W: r.x.slice(0, k * d), b: r.x.slice(k * d), iterations: r.iterations, converged: r.converged, objective: r.f };
}
