// Loads cellab's own wasm SIMD kernels (src/engine/simd/kernels.c, built into
// lib/cellab-kernels.wasm) and runs them on Float32Arrays: the inputs are
// copied into the module's memory, the results copied out (memcpy speed, a
// small part of the work). The callers keep their JavaScript versions and use
// them when this returns null: the file is missing, wasm SIMD is unavailable,
// or CELLAB_SIMD_KERNELS=0 (tests compare the two).
import * as fs from 'node:fs';
import * as path from 'node:path';

/** ../../lib from both src/engine (tsx) and dist/engine (tsc). */
export const SIMD_KERNELS_FILE = path.join(__dirname, '..', '..', 'lib', 'cellab-kernels.wasm');

interface Exports {
  memory: WebAssembly.Memory;
  __heap_base: WebAssembly.Global;
  column_sums(x: number, rows: number, cols: number, acc: number, tmp: number, out: number): void;
  channel_moments(x: number, rows: number, cols: number, acc: number, tmp: number, mean: number, variance: number): void;
  batch_norm_grad(dy: number, x: number, mean: number, variance: number, gamma: number, eps: number, rows: number, cols: number,
    acc: number, tmp: number, dx: number, dgamma: number, dbeta: number): void;
  max_pool_2x2_grad(x: number, dy: number, dx: number, n: number, h: number, w: number, c: number, ho: number, wo: number): void;
  conv_filter_grad(xp: number, dy: number, dw: number, n: number, hp: number, wp: number, ci: number, ho: number, wo: number, co: number,
    kh: number, kw: number, sh: number, sw: number, dh: number, dw_: number, totf: number, tot: number): void;
  conv_input_grad(dy: number, wt: number, dx: number, n: number, h: number, w: number, ci: number, ho: number, wo: number, co: number,
    kh: number, kw: number, sh: number, sw: number, dh: number, dw_: number, pt: number, pl: number): void;
}

/** The geometry of a convolution (tf.backend_util.Conv2DInfo's fields that matter here). */
export interface ConvGeometry {
  batchSize: number; inHeight: number; inWidth: number; inChannels: number; outHeight: number; outWidth: number; outChannels: number;
  filterHeight: number; filterWidth: number; strideHeight: number; strideWidth: number; dilationHeight: number; dilationWidth: number;
  padInfo: { top: number; left: number };
}

export interface SimdKernels {
  /** Column sums of a row-major [rows, cols] array (float32 blocks of 64 rows, added in double). */
  columnSums(x: Float32Array, rows: number, cols: number): Float64Array;
  /** Per-column mean and biased variance into `mean` and `variance`. */
  channelMoments(x: Float32Array, rows: number, cols: number, mean: Float32Array, variance: Float32Array): void;
  /** Closed-form batch-norm gradient (batch-norm-train.ts) into dx, dgamma, dbeta. */
  batchNormGrad(a: { dy: Float32Array; x: Float32Array; mean: Float32Array; variance: Float32Array; gamma: Float32Array; eps: number; rows: number; cols: number },
    dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array): void;
  /** 2x2 / stride-2 max-pool gradient (windows inside the input) into dx, which it fills entirely. */
  maxPool2x2Grad(x: Float32Array, dy: Float32Array, dx: Float32Array, s: { n: number; h: number; w: number; c: number; ho: number; wo: number }): void;
  /** dW [kh, kw, ci, co] of a convolution (NHWC X and dY); needs co % 4 == 0. */
  convFilterGrad(x: Float32Array, dy: Float32Array, info: ConvGeometry): Float32Array;
  /** dX [n, h, w, ci] of a convolution from dY and the filter W [kh, kw, ci, co]; needs ci % 4 == 0. */
  convInputGrad(dy: Float32Array, filter: Float32Array, info: ConvGeometry): Float32Array;
}

/** Bump allocation in the module's memory, reset per call; grows the memory as needed. */
class Arena {
  private top: number;
  constructor(private readonly ex: Exports, private readonly base: number) {
    this.top = base;
  }

  /** Byte offsets for each size, 16-byte aligned; views must be made after the last alloc (growth detaches the buffer). */
  alloc(...bytes: number[]): number[] {
    this.top = this.base;
    const ptrs = bytes.map((b) => {
      const p = (this.top + 15) & ~15;
      this.top = p + b;
      return p;
    });
    const need = this.top - this.ex.memory.buffer.byteLength;
    if (need > 0) this.ex.memory.grow(Math.ceil(need / 65536));
    return ptrs;
  }

  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.ex.memory.buffer, ptr, n);
  }

  f64(ptr: number, n: number): Float64Array {
    return new Float64Array(this.ex.memory.buffer, ptr, n);
  }
}

function load(): SimdKernels | null {
  if (process.env.CELLAB_SIMD_KERNELS === '0') return null;
  let ex: Exports;
  try {
    const mod = new WebAssembly.Module(fs.readFileSync(SIMD_KERNELS_FILE));
    ex = new WebAssembly.Instance(mod, {}).exports as unknown as Exports;
  } catch {
    return null;   // no SIMD in this runtime, or the file is missing: the JavaScript kernels run
  }
  const arena = new Arena(ex, Number(ex.__heap_base.value));
  const F = 4, D = 8;
  return {
    columnSums(x, rows, cols) {
      const [px, pacc, ptmp, pout] = arena.alloc(x.length * F, 2 * cols * D, 3 * cols * F, cols * F);
      arena.f32(px, x.length).set(x);
      ex.column_sums(px, rows, cols, pacc, ptmp, pout);
      return Float64Array.from(arena.f64(pacc, cols));
    },
    channelMoments(x, rows, cols, mean, variance) {
      const [px, pacc, ptmp, pm, pv] = arena.alloc(x.length * F, 2 * cols * D, 3 * cols * F, cols * F, cols * F);
      arena.f32(px, x.length).set(x);
      ex.channel_moments(px, rows, cols, pacc, ptmp, pm, pv);
      mean.set(arena.f32(pm, cols));
      variance.set(arena.f32(pv, cols));
    },
    batchNormGrad(a, dx, dgamma, dbeta) {
      const n = a.rows * a.cols, c = a.cols;
      const [pdy, px, pm, pv, pg, pacc, ptmp, pdx, pdg, pdb] = arena.alloc(n * F, n * F, c * F, c * F, c * F, 2 * c * D, 3 * c * F, n * F, c * F, c * F);
      arena.f32(pdy, n).set(a.dy);
      arena.f32(px, n).set(a.x);
      arena.f32(pm, c).set(a.mean);
      arena.f32(pv, c).set(a.variance);
      arena.f32(pg, c).set(a.gamma);
      ex.batch_norm_grad(pdy, px, pm, pv, pg, a.eps, a.rows, c, pacc, ptmp, pdx, pdg, pdb);
      dx.set(arena.f32(pdx, n));
      dgamma.set(arena.f32(pdg, c));
      dbeta.set(arena.f32(pdb, c));
    },
    maxPool2x2Grad(x, dy, dx, s) {
      const [px, pdy, pdx] = arena.alloc(x.length * F, dy.length * F, dx.length * F);
      arena.f32(px, x.length).set(x);
      arena.f32(pdy, dy.length).set(dy);
      const out = arena.f32(pdx, dx.length);
      // Rows or columns no window covers (odd sizes) get no gradient; the kernel writes only covered ones.
      if (2 * s.ho < s.h || 2 * s.wo < s.w) out.fill(0);
      ex.max_pool_2x2_grad(px, pdy, pdx, s.n, s.h, s.w, s.c, s.ho, s.wo);
      dx.set(out);
    },
    convFilterGrad(x, dy, info) {
      const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: ho, outWidth: wo, outChannels: co } = info;
      const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dwl } = info;
      if (co % 4 !== 0) throw new Error(`convFilterGrad needs a multiple of 4 output channels; got ${co}`);
      const { top, left } = info.padInfo;
      // X zero-padded to exactly the window the taps sweep: every read in bounds.
      const hp = (ho - 1) * sh + (kh - 1) * dh + 1, wp = (wo - 1) * sw + (kw - 1) * dwl + 1;
      const nw = kh * kw * ci * co;
      const [pxp, pdy, pdw, ptotf, ptot] = arena.alloc(n * hp * wp * ci * F, dy.length * F, nw * F, nw * F, nw * D);
      const xp = arena.f32(pxp, n * hp * wp * ci);
      xp.fill(0);
      const c0 = Math.max(0, -left), c1 = Math.min(w, wp - left);   // input columns inside the window
      if (c1 > c0) {
        for (let b = 0; b < n; b++) {
          for (let y = 0; y < h; y++) {
            const py = y + top;
            if (py < 0 || py >= hp) continue;
            const src = ((b * h + y) * w + c0) * ci;
            xp.set(x.subarray(src, src + (c1 - c0) * ci), ((b * hp + py) * wp + c0 + left) * ci);
          }
        }
      }
      arena.f32(pdy, dy.length).set(dy);
      ex.conv_filter_grad(pxp, pdy, pdw, n, hp, wp, ci, ho, wo, co, kh, kw, sh, sw, dh, dwl, ptotf, ptot);
      return Float32Array.from(arena.f32(pdw, nw));
    },
    convInputGrad(dy, filter, info) {
      const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: ho, outWidth: wo, outChannels: co } = info;
      const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dwl } = info;
      if (ci % 4 !== 0) throw new Error(`convInputGrad needs a multiple of 4 input channels; got ${ci}`);
      const nx = n * h * w * ci, nf = kh * kw * ci * co;
      const [pdy, pwt, pdx] = arena.alloc(dy.length * F, nf * F, nx * F);
      arena.f32(pdy, dy.length).set(dy);
      // W [kh, kw, ci, co] -> [kh, kw, co, ci]: input channels contiguous for the kernel.
      const wt = arena.f32(pwt, nf);
      for (let t = 0; t < kh * kw; t++) {
        const base = t * ci * co;
        for (let c = 0; c < ci; c++) for (let o = 0; o < co; o++) wt[base + o * ci + c] = filter[base + c * co + o];
      }
      ex.conv_input_grad(pdy, pwt, pdx, n, h, w, ci, ho, wo, co, kh, kw, sh, sw, dh, dwl, info.padInfo.top, info.padInfo.left);
      return Float32Array.from(arena.f32(pdx, nx));
    },
  };
}

let kernels: SimdKernels | null | undefined;

/** The kernels, loaded on first use; null when they cannot run here (callers use their JavaScript versions). */
export function simdKernels(): SimdKernels | null {
  if (kernels === undefined) kernels = load();
  return kernels;
}
