// The linear heads' objective (train/linear-classifier.ts) in float64 on a
// heap of doubles the caller lays out: matrix products out = A B^T, and the
// per-sample softmax / squared-hinge pass between them. The wasm build
// (src/engine/simd/linear.c, lib/cellab-linear.wasm; SIMD products) runs
// the products about 9x faster than JavaScript loops, at BLAS' speed for
// these shapes; it has its own memory, so it works on every backend. The
// JavaScript versions are kept for runtimes without wasm SIMD and for
// CELLAB_SIMD_KERNELS=0 (tests compare the two).
import * as fs from 'node:fs';
import * as path from 'node:path';

/** ../../lib from both src/engine (tsx) and dist/engine (tsc). */
export const LINEAR_KERNELS_FILE = path.join(__dirname, '..', '..', 'lib', 'cellab-linear.wasm');

/** Arguments are offsets into `heap` (in doubles), except counts and `negw`. */
export interface LinearKernels {
  /** The heap. Its size is fixed at creation, so views stay valid. */
  readonly heap: Float64Array;
  /** 'wasm' (SIMD build) or 'js'. */
  readonly kind: 'wasm' | 'js';
  /** heap[out + a * nb + b] = sum_t heap[A + a * L + t] * heap[B + b * L + t], for a < na, b < nb. */
  gemmNT(A: number, na: number, B: number, nb: number, L: number, out: number): void;
  /**
   * Per sample i of S [n, k] (decision values without b): s = S[i] + b, p = softmax(s)
   * (S[i] is overwritten); P[c * n + i] = w[i] (p_c - [c == y_i]), gb[c] = sum_i P[c * n + i],
   * z[i] = sum_c exp(s_c - max s). Returns sum_i w[i] (max s - s_y): the loss is that plus
   * sum_i w[i] log z[i]. y holds class indices as doubles.
   */
  softmaxGrad(S: number, b: number, y: number, w: number, n: number, k: number, P: number, gb: number, z: number): number;
  /**
   * One-vs-rest squared hinge: t = +1 for c == y_i (weight posw[c]) else -1 (weight negw),
   * m = 1 - t (S[i, c] + b[c]); P[c * n + i] = -2 weight t m where m > 0 else 0,
   * gb[c] = sum_i P[c * n + i]. Returns sum weight m^2 over positive margins.
   */
  sqHingeGrad(S: number, b: number, y: number, posw: number, negw: number, n: number, k: number, P: number, gb: number): number;
}

let wasmModule: WebAssembly.Module | null | undefined;

function loadModule(): WebAssembly.Module | null {
  if (wasmModule === undefined) {
    try {
      wasmModule = new WebAssembly.Module(fs.readFileSync(LINEAR_KERNELS_FILE));
    } catch {
      wasmModule = null;   // no SIMD in this runtime, or the file is missing: the JavaScript loops
    }
  }
  return wasmModule;
}

/** Four dot products per pass (two rows of A, two of B); V8 does not vectorise, but overlaps the four chains. */
function gemmNTJs(h: Float64Array, A: number, na: number, B: number, nb: number, L: number, out: number): void {
  let a = 0;
  for (; a + 1 < na; a += 2) {
    const a0 = A + a * L, a1 = a0 + L;
    let b = 0;
    for (; b + 1 < nb; b += 2) {
      const b0 = B + b * L, b1 = b0 + L;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
      for (let t = 0; t < L; t++) {
        const x0 = h[a0 + t], x1 = h[a1 + t], y0 = h[b0 + t], y1 = h[b1 + t];
        s00 += x0 * y0; s01 += x0 * y1; s10 += x1 * y0; s11 += x1 * y1;
      }
      const o = out + a * nb + b;
      h[o] = s00; h[o + 1] = s01; h[o + nb] = s10; h[o + nb + 1] = s11;
    }
    for (; b < nb; b++) {
      const b0 = B + b * L;
      let s0 = 0, s1 = 0;
      for (let t = 0; t < L; t++) { const y = h[b0 + t]; s0 += h[a0 + t] * y; s1 += h[a1 + t] * y; }
      h[out + a * nb + b] = s0; h[out + (a + 1) * nb + b] = s1;
    }
  }
  for (; a < na; a++) {
    const a0 = A + a * L;
    for (let b = 0; b < nb; b++) {
      const b0 = B + b * L;
      let s = 0;
      for (let t = 0; t < L; t++) s += h[a0 + t] * h[b0 + t];
      h[out + a * nb + b] = s;
    }
  }
}

function softmaxGradJs(h: Float64Array, S: number, b: number, y: number, w: number, n: number, k: number, P: number, gb: number, z: number): number {
  let part = 0;
  for (let c = 0; c < k; c++) h[gb + c] = 0;
  for (let i = 0; i < n; i++) {
    const o = S + i * k, yi = h[y + i];
    let mx = -Infinity;
    for (let c = 0; c < k; c++) { const v = h[o + c] + h[b + c]; h[o + c] = v; if (v > mx) mx = v; }
    const sy = h[o + yi];
    let zi = 0;
    for (let c = 0; c < k; c++) { const e = Math.exp(h[o + c] - mx); h[o + c] = e; zi += e; }
    const wi = h[w + i];
    part += wi * (mx - sy);
    h[z + i] = zi;
    const q = wi / zi;
    for (let c = 0; c < k; c++) {
      const g = q * h[o + c] - (c === yi ? wi : 0);
      h[P + c * n + i] = g;
      h[gb + c] += g;
    }
  }
  return part;
}

function sqHingeGradJs(h: Float64Array, S: number, b: number, y: number, posw: number, negw: number, n: number, k: number, P: number, gb: number): number {
  let loss = 0;
  for (let c = 0; c < k; c++) h[gb + c] = 0;
  for (let i = 0; i < n; i++) {
    const o = S + i * k, yi = h[y + i];
    for (let c = 0; c < k; c++) {
      const t = c === yi ? 1 : -1, wc = c === yi ? h[posw + c] : negw;
      const m = 1 - t * (h[o + c] + h[b + c]);
      let g = 0;
      if (m > 0) { loss += wc * m * m; g = -2 * wc * t * m; }
      h[P + c * n + i] = g;
      h[gb + c] += g;
    }
  }
  return loss;
}

interface WasmExports {
  gemm_nt(a: number, na: number, b: number, nb: number, l: number, o: number): void;
  softmax_grad(S: number, b: number, y: number, w: number, n: number, k: number, P: number, gb: number, z: number): number;
  sq_hinge_grad(S: number, b: number, y: number, posw: number, negw: number, n: number, k: number, P: number, gb: number): number;
}

/** A heap of `doubles` doubles with the kernels: wasm where it loads, else JavaScript. */
export function linearKernels(doubles: number): LinearKernels {
  const mod = process.env.CELLAB_SIMD_KERNELS === '0' ? null : loadModule();
  const pages = Math.max(1, Math.ceil((doubles * 8) / 65536));
  let memory: WebAssembly.Memory | undefined;
  // wasm32 addresses 4 GiB at most: larger problems take the JavaScript loops.
  if (mod && pages <= 65536) try { memory = new WebAssembly.Memory({ initial: pages }); } catch { memory = undefined; }
  if (mod && memory) {
    const e = new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as WasmExports;
    return {
      heap: new Float64Array(memory.buffer, 0, doubles),
      kind: 'wasm',
      gemmNT: (A, na, B, nb, L, out) => e.gemm_nt(A * 8, na, B * 8, nb, L, out * 8),
      softmaxGrad: (S, b, y, w, n, k, P, gb, z) => e.softmax_grad(S * 8, b * 8, y * 8, w * 8, n, k, P * 8, gb * 8, z * 8),
      sqHingeGrad: (S, b, y, posw, negw, n, k, P, gb) => e.sq_hinge_grad(S * 8, b * 8, y * 8, posw * 8, negw, n, k, P * 8, gb * 8),
    };
  }
  const h = new Float64Array(doubles);
  return {
    heap: h,
    kind: 'js',
    gemmNT: (A, na, B, nb, L, out) => gemmNTJs(h, A, na, B, nb, L, out),
    softmaxGrad: (S, b, y, w, n, k, P, gb, z) => softmaxGradJs(h, S, b, y, w, n, k, P, gb, z),
    sqHingeGrad: (S, b, y, posw, negw, n, k, P, gb) => sqHingeGradJs(h, S, b, y, posw, negw, n, k, P, gb),
  };
}
