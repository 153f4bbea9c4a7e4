// The linear heads against scikit-learn: the same objective minimum as
// LogisticRegression(lbfgs) and LinearSVC (squared hinge, one-vs-rest).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Random } from '../../src/engine/random';
import { decisionFunction, fitLinear, linearObjective, type LinearData, type LinearKind } from '../../src/train/linear-classifier';

function sklearn(cases: object[]): { W: number[]; b: number[]; pred: number[] }[] {
  const r = spawnSync('/usr/bin/python3', [path.join(__dirname, 'fixtures', 'sklearn_linear.py')], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`scikit-learn oracle failed (is python3-sklearn installed?): ${r.stderr || r.error}`);
  return JSON.parse(r.stdout);
}

/** Three overlapping Gaussian classes in 5-D. */
function blobs(n: number, seed: number): LinearData {
  const r = new Random(seed), d = 5, k = 3;
  const x = new Float64Array(n * d), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % k;
    for (let j = 0; j < d; j++) x[i * d + j] = r.normal(j === y[i] ? 1.2 : 0, 1);
  }
  return { x, n, d, y, k };
}

function objectiveAt(kind: LinearKind, data: LinearData, C: number, W: ArrayLike<number>, b: ArrayLike<number>, cw?: number[]): number {
  const sw = Float64Array.from(data.y, (c) => (cw && kind === 'logistic' ? cw[c] : 1));
  const swSum = sw.reduce((a, v) => a + v, 0);
  const theta = Float64Array.from([...Array.from(W), ...Array.from(b)]);
  return linearObjective(kind, data, C, sw, swSum, cw)(theta, new Float64Array(theta.length));
}

const CASES: { kind: LinearKind; C: number; cw?: number[] }[] = [
  { kind: 'logistic', C: 1 }, { kind: 'logistic', C: 0.01 }, { kind: 'logistic', C: 100, cw: [1, 3, 0.5] },
  { kind: 'svm', C: 1 }, { kind: 'svm', C: 0.05 }, { kind: 'svm', C: 10, cw: [2, 1, 1] },
];

test('same minimum as scikit-learn LogisticRegression / LinearSVC (objective, coefficients, predictions)', () => {
  const data = blobs(150, 4);
  const expected = sklearn(CASES.map((c) => ({ kind: c.kind, C: c.C, class_weight: c.cw, x: Array.from(data.x), n: data.n, d: data.d, y: Array.from(data.y) })));
  CASES.forEach((c, i) => {
    const m = fitLinear(c.kind, data, { C: c.C, classWeights: c.cw, maxIter: 2000, tol: 1e-9 });
    const ours = objectiveAt(c.kind, data, c.C, m.W, m.b, c.cw);
    const theirs = objectiveAt(c.kind, data, c.C, expected[i].W, expected[i].b, c.cw);
    const label = `${c.kind} C=${c.C}${c.cw ? ' weighted' : ''}`;
    assert.ok(ours <= theirs * (1 + 1e-6) + 1e-12, `${label}: our objective ${ours} > scikit-learn's ${theirs}`);
    const scale = Math.max(...expected[i].W.map(Math.abs));
    m.W.forEach((w, j) => assert.ok(Math.abs(w - expected[i].W[j]) < 2e-3 * scale, `${label}: W[${j}] ${w} vs ${expected[i].W[j]}`));
    const s = decisionFunction(m, data.x, data.n);
    const pred = Array.from({ length: data.n }, (_, r) => { let best = 0; for (let k = 1; k < 3; k++) if (s[r * 3 + k] > s[r * 3 + best]) best = k; return best; });
    const agree = pred.filter((p, r) => p === expected[i].pred[r]).length / data.n;
    assert.ok(agree >= 0.99, `${label}: predictions agree on ${agree}`);
  });
});

test('warm start from a neighbouring C: fewer iterations, the same solution as a cold start', () => {
  const data = blobs(300, 5);
  const cold = fitLinear('logistic', data, { C: 3, tol: 1e-7 });
  const prev = fitLinear('logistic', data, { C: 1, tol: 1e-7 });
  const warm = fitLinear('logistic', data, { C: 3, tol: 1e-7, init: prev });
  assert.ok(warm.iterations < cold.iterations, `warm ${warm.iterations} vs cold ${cold.iterations}`);
  assert.ok(Math.abs(warm.objective - cold.objective) < 1e-6);
  const scale = Math.max(...Array.from(cold.W, Math.abs));
  warm.W.forEach((w, j) => assert.ok(Math.abs(w - cold.W[j]) < 1e-4 * scale, `W[${j}] warm ${w} vs cold ${cold.W[j]}`));
  warm.b.forEach((b, c) => assert.ok(Math.abs(b - cold.b[c]) < 1e-4 * Math.max(1, Math.abs(cold.b[c])), `b[${c}] warm ${b} vs cold ${cold.b[c]}`));
});

/** Runs `f` with the JavaScript kernels (CELLAB_SIMD_KERNELS=0) or the default (wasm). */
function withKernels<T>(js: boolean, f: () => T): T {
  const saved = process.env.CELLAB_SIMD_KERNELS;
  if (js) process.env.CELLAB_SIMD_KERNELS = '0'; else delete process.env.CELLAB_SIMD_KERNELS;
  try { return f(); } finally { if (saved === undefined) delete process.env.CELLAB_SIMD_KERNELS; else process.env.CELLAB_SIMD_KERNELS = saved; }
}

for (const js of [false, true]) {
  test(`the objective's gradient matches central finite differences (${js ? 'JavaScript' : 'wasm'} kernels; both kinds, class weights)`, () => {
    const data = blobs(40, 6), r = new Random(7);
    for (const c of CASES) {
      const sw = Float64Array.from(data.y, (y) => (c.cw && c.kind === 'logistic' ? c.cw[y] : 1));
      const swSum = sw.reduce((a, v) => a + v, 0);
      const fg = withKernels(js, () => linearObjective(c.kind, data, c.C, sw, swSum, c.cw));
      const theta = Float64Array.from({ length: data.k * data.d + data.k }, () => r.normal(0, 0.5));
      const grad = new Float64Array(theta.length), scratch = new Float64Array(theta.length);
      fg(theta, grad);
      const h = 1e-6;
      for (let j = 0; j < theta.length; j++) {
        const t = Float64Array.from(theta);
        t[j] += h; const up = fg(t, scratch);
        t[j] -= 2 * h; const down = fg(t, scratch);
        const fd = (up - down) / (2 * h);
        assert.ok(Math.abs(fd - grad[j]) < 1e-6 + 1e-5 * Math.abs(fd), `${c.kind} C=${c.C}: d/dtheta[${j}] ${grad[j]} vs finite difference ${fd}`);
      }
    }
  });
}

test('wasm and JavaScript kernels fit the same model along a C path (same iterations, coefficients to 1e-9)', () => {
  const data = blobs(200, 8);
  for (const kind of ['logistic', 'svm'] as const) {
    const fitPath = () => { let prev; const out = []; for (const C of [0.01, 0.1, 1]) out.push(prev = fitLinear(kind, data, { C, init: prev })); return out; };
    const wasm = withKernels(false, fitPath), js = withKernels(true, fitPath);
    wasm.forEach((m, i) => {
      assert.equal(m.iterations, js[i].iterations, `${kind} C=${m.C}: iterations`);
      m.W.forEach((w, j) => assert.ok(Math.abs(w - js[i].W[j]) < 1e-9 * Math.max(1, Math.abs(w)), `${kind} C=${m.C}: W[${j}] ${w} vs ${js[i].W[j]}`));
    });
  }
});

test('a training array reused with other labels, or changed in place, is fitted on its current contents', () => {
  const data = blobs(90, 9);
  fitLinear('logistic', data, { C: 1 });
  const relabelled = { ...data, y: Int32Array.from(data.y, (c) => (c + 1) % 3) };
  const fresh = (d: LinearData) => fitLinear('logistic', { ...d, x: Float64Array.from(d.x) }, { C: 1 });
  assert.deepEqual(Array.from(fitLinear('logistic', relabelled, { C: 1 }).W), Array.from(fresh(relabelled).W));
  for (let i = 0; i < data.x.length; i++) data.x[i] *= 2;
  assert.deepEqual(Array.from(fitLinear('logistic', data, { C: 1 }).W), Array.from(fresh(data).W));
});
