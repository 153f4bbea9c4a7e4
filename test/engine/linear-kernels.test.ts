// The linear heads' float64 kernels: the wasm build against the JavaScript
// loops it replaces (CELLAB_SIMD_KERNELS=0 runs the latter in the heads).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../src/engine/random';
import { linearKernels, type LinearKernels } from '../../src/engine/linear-kernels';

function both(doubles: number): [LinearKernels, LinearKernels] {
  const wasm = linearKernels(doubles);
  const saved = process.env.CELLAB_SIMD_KERNELS;
  process.env.CELLAB_SIMD_KERNELS = '0';
  try {
    return [wasm, linearKernels(doubles)];
  } finally {
    if (saved === undefined) delete process.env.CELLAB_SIMD_KERNELS; else process.env.CELLAB_SIMD_KERNELS = saved;
  }
}

function fill(ks: LinearKernels[], from: number, count: number, r: Random, f = () => r.normal(0, 1)): void {
  for (let i = 0; i < count; i++) { const v = f(); for (const k of ks) k.heap[from + i] = v; }
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Math.abs(a[i] - b[i]) <= tol * Math.max(1, Math.abs(b[i])), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
  }
}

test('the wasm build loads (lib/cellab-linear.wasm is committed) and CELLAB_SIMD_KERNELS=0 selects JavaScript', () => {
  const [wasm, js] = both(16);
  assert.equal(wasm.kind, 'wasm');
  assert.equal(js.kind, 'js');
});

test('gemmNT: wasm = JavaScript = the definition, for every block remainder (rows 1..5, odd lengths)', () => {
  const r = new Random(3);
  for (const [na, nb, L] of [[1, 1, 1], [2, 4, 8], [3, 5, 7], [5, 6, 129], [4, 9, 2], [7, 3, 33]]) {
    const A = 0, B = na * L, out = B + nb * L;
    const ks = both(out + na * nb);
    fill(ks, 0, out, r);
    for (const k of ks) k.gemmNT(A, na, B, nb, L, out);
    const h = ks[1].heap, want: number[] = [];
    for (let a = 0; a < na; a++) for (let b = 0; b < nb; b++) {
      let s = 0;
      for (let t = 0; t < L; t++) s += h[A + a * L + t] * h[B + b * L + t];
      want.push(s);
    }
    close(ks[0].heap.subarray(out, out + na * nb), want, 1e-12, `wasm ${na}x${nb}x${L}`);
    close(ks[1].heap.subarray(out, out + na * nb), want, 1e-12, `js ${na}x${nb}x${L}`);
  }
});

test('softmaxGrad: wasm (its own exp) = JavaScript (Math.exp) to 1e-14, with large and tiny scores', () => {
  const r = new Random(4), n = 37, k = 5;
  const S = 0, b = n * k, y = b + k, w = y + n, P = w + n, gb = P + k * n, z = gb + k;
  const ks = both(z + n);
  // Scores spread over +-40 (probabilities down to e^-80) plus a row far outside exp's range.
  fill(ks, S, n * k, r, () => r.normal(0, 15));
  for (const kk of ks) kk.heap[S] = 800;
  fill(ks, b, k, r);
  fill(ks, y, n, r, () => Math.floor(r.next() * k));
  fill(ks, w, n, r, () => 0.5 + r.next());
  const parts = ks.map((kk) => kk.softmaxGrad(S, b, y, w, n, k, P, gb, z));
  assert.ok(Math.abs(parts[0] - parts[1]) <= 1e-13 * Math.abs(parts[1]), `${parts[0]} vs ${parts[1]}`);
  for (const [from, len, what] of [[S, n * k, 'probabilities'], [P, n * k, 'P'], [gb, k, 'gb'], [z, n, 'z']] as const) {
    close(ks[0].heap.subarray(from, from + len), ks[1].heap.subarray(from, from + len), 1e-14, what);
  }
  // Each row of P sums to 0 (softmax minus one-hot, times the weight).
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < k; c++) s += ks[0].heap[P + c * n + i];
    assert.ok(Math.abs(s) < 1e-12, `row ${i} of P sums to ${s}`);
  }
});

test('sqHingeGrad: wasm = JavaScript, class weights on the positive side only', () => {
  const r = new Random(5), n = 29, k = 4;
  const S = 0, b = n * k, y = b + k, pos = y + n, P = pos + k, gb = P + k * n;
  const ks = both(gb + k);
  fill(ks, S, n * k, r);
  fill(ks, b, k, r, () => r.normal(0, 0.3));
  fill(ks, y, n, r, () => Math.floor(r.next() * k));
  fill(ks, pos, k, r, () => 0.5 + 2 * r.next());
  const losses = ks.map((kk) => kk.sqHingeGrad(S, b, y, pos, 0.7, n, k, P, gb));
  assert.ok(losses[1] > 0);
  assert.ok(Math.abs(losses[0] - losses[1]) <= 1e-13 * losses[1], `${losses[0]} vs ${losses[1]}`);
  close(ks[0].heap.subarray(P, P + k * n), ks[1].heap.subarray(P, P + k * n), 1e-14, 'P');
  close(ks[0].heap.subarray(gb, gb + k), ks[1].heap.subarray(gb, gb + k), 1e-14, 'gb');
});
