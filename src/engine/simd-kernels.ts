// Loads cellab's own wasm SIMD kernels (src/engine/simd/kernels.c, built into
// lib/cellab-kernels.wasm and, for the multithreaded tfjs build whose memory
// is shared, lib/cellab-kernels-shared.wasm). The module imports
// tfjs-backend-wasm's memory, so the kernels read and write tensors where
// they lie: arrays on that heap are passed as offsets, other arrays are
// copied in (and out) through tfjs' malloc, as is scratch space. The callers
// keep their JavaScript versions and use them when this returns null: the
// backend is not wasm, the module cannot load (no SIMD), or
// CELLAB_SIMD_KERNELS=0 (tests compare the two).
//
// Caution for callers: a kernel may allocate on the tfjs heap, which can grow
// it and detach every view taken before; take output views after the call.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';

/** ../../lib from both src/engine (tsx) and dist/engine (tsc). */
const LIB = path.join(__dirname, '..', '..', 'lib');
export const SIMD_KERNELS_FILE = path.join(LIB, 'cellab-kernels.wasm');
export const SIMD_KERNELS_SHARED_FILE = path.join(LIB, 'cellab-kernels-shared.wasm');

interface Exports {
  column_sums(x: number, rows: number, cols: number, acc: number, tmp: number, out: number): void;
  channel_moments(x: number, rows: number, cols: number, acc: number, tmp: number, mean: number, variance: number): void;
  batch_norm_grad(dy: number, x: number, mean: number, variance: number, gamma: number, eps: number, rows: number, cols: number,
    acc: number, tmp: number, dx: number, dgamma: number, dbeta: number): void;
  max_pool_2x2_grad(x: number, dy: number, dx: number, n: number, h: number, w: number, c: number, ho: number, wo: number): void;
  max_pool_grad(x: number, dy: number, dx: number, n: number, h: number, w: number, c: number, ho: number, wo: number,
    fh: number, fw: number, sh: number, sw: number, top: number, left: number): void;
  conv_filter_grad(xp: number, dy: number, dw: number, n: number, hp: number, wp: number, ci: number, ho: number, wo: number, co: number,
    kh: number, kw: number, sh: number, sw: number, dh: number, dw_: number, totf: number, tot: number): void;
  bias_relu(x: number, bias: number, y: number, rows: number, cols: number): void;
  bias_relu_grad(dy: number, y: number, dx: number, dbias: number, rows: number, cols: number, acc: number, tmp: number): void;
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
  /** Any max-pool gradient (c % 4 == 0) into dx, which it fills entirely. */
  maxPoolGrad(x: Float32Array, dy: Float32Array, dx: Float32Array,
    s: { n: number; h: number; w: number; c: number; ho: number; wo: number; fh: number; fw: number; sh: number; sw: number; top: number; left: number }): void;
  /** dW [kh, kw, ci, co] of a convolution (NHWC X and dY); needs co % 4 == 0. */
  convFilterGrad(x: Float32Array, dy: Float32Array, info: ConvGeometry): Float32Array;
  /** y = max(x + bias, 0) over a row-major [rows, cols] array, bias per column. */
  biasRelu(x: Float32Array, bias: Float32Array, y: Float32Array, rows: number, cols: number): void;
  /** Gradient of biasRelu from its output: dx = y > 0 ? dy : 0, dbias = column sums of dx. */
  biasReluGrad(dy: Float32Array, y: Float32Array, dx: Float32Array, dbias: Float32Array, rows: number, cols: number): void;
  /** dX [n, h, w, ci] of a convolution from dY and the filter W [kh, kw, ci, co] into dx; needs ci % 4 == 0. */
  convInputGrad(dy: Float32Array, filter: Float32Array, info: ConvGeometry, dx: Float32Array): void;
}

interface TfjsWasmModule {
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  wasmMemory?: WebAssembly.Memory;
  asm?: { memory?: WebAssembly.Memory };
}

const F = 4, D = 8;

/**
 * One call's memory: arrays already on the tfjs heap go by offset; others are
 * copied into malloc'd space (and, for outputs, back); scratch is malloc'd.
 * Offsets are taken before any malloc (which may grow the heap and detach views).
 */
class Call {
  private readonly mallocs: number[] = [];
  private readonly copyIn: { ptr: number; src: Float32Array }[] = [];
  private readonly copyOut: { ptr: number; dst: Float32Array }[] = [];
  private readonly pending: { bytes: number; set: (ptr: number) => void }[] = [];

  constructor(private readonly w: TfjsWasmModule, private readonly memory: WebAssembly.Memory) {}

  private onHeap(a: Float32Array): boolean {
    return a.buffer === this.memory.buffer;
  }

  /** An input's offset (copied in if it is not on the heap). */
  input(a: Float32Array): () => number {
    if (this.onHeap(a)) { const p = a.byteOffset; return () => p; }
    let ptr = 0;
    this.pending.push({ bytes: a.byteLength, set: (p) => { ptr = p; this.copyIn.push({ ptr: p, src: a }); } });
    return () => ptr;
  }

  /** An output's offset (copied back after the call if it is not on the heap). */
  output(a: Float32Array): () => number {
    if (this.onHeap(a)) { const p = a.byteOffset; return () => p; }
    let ptr = 0;
    this.pending.push({ bytes: a.byteLength, set: (p) => { ptr = p; this.copyOut.push({ ptr: p, dst: a }); } });
    return () => ptr;
  }

  scratch(bytes: number): () => number {
    let ptr = 0;
    this.pending.push({ bytes, set: (p) => { ptr = p; } });
    return () => ptr;
  }

  /** Allocates, copies inputs in, runs `fn`, copies outputs out, frees. */
  run<T>(fn: () => T): T {
    try {
      for (const p of this.pending) {
        const ptr = this.w._malloc(Math.max(16, p.bytes));
        if (!ptr) throw new Error(`cellab SIMD kernels: out of wasm memory (${p.bytes} bytes)`);
        this.mallocs.push(ptr);
        p.set(ptr);
      }
      for (const c of this.copyIn) new Float32Array(this.memory.buffer, c.ptr, c.src.length).set(c.src);
      const r = fn();
      for (const c of this.copyOut) c.dst.set(new Float32Array(this.memory.buffer, c.ptr, c.dst.length));
      return r;
    } finally {
      for (const p of this.mallocs) this.w._free(p);
    }
  }

  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, n);
  }

  f64(ptr: number, n: number): Float64Array {
    return new Float64Array(this.memory.buffer, ptr, n);
  }
}

function load(w: TfjsWasmModule, memory: WebAssembly.Memory): { kernels: SimdKernels | null; problem?: string } {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const file = shared ? SIMD_KERNELS_SHARED_FILE : SIMD_KERNELS_FILE;
  let ex: Exports;
  try {
    const mod = new WebAssembly.Module(fs.readFileSync(file));
    ex = new WebAssembly.Instance(mod, { env: { memory } }).exports as unknown as Exports;
  } catch (err) {
    // No SIMD in this runtime, or the file is missing: the JavaScript kernels run (the engine line says so).
    const e = err as NodeJS.ErrnoException;
    return { kernels: null, problem: e.code === 'ENOENT' ? `${path.relative(process.cwd(), file) || file} is missing (npm run build:kernels)` : `${path.basename(file)} did not load: ${e.message}` };
  }
  const call = () => new Call(w, memory);
  const kernels: SimdKernels = {
    columnSums(x, rows, cols) {
      const c = call();
      const px = c.input(x), acc = c.scratch(2 * cols * D), tmp = c.scratch(3 * cols * F), out = c.scratch(cols * F);
      return c.run(() => {
        ex.column_sums(px(), rows, cols, acc(), tmp(), out());
        return Float64Array.from(c.f64(acc(), cols));
      });
    },
    channelMoments(x, rows, cols, mean, variance) {
      const c = call();
      const px = c.input(x), pm = c.output(mean), pv = c.output(variance), acc = c.scratch(2 * cols * D), tmp = c.scratch(3 * cols * F);
      c.run(() => ex.channel_moments(px(), rows, cols, acc(), tmp(), pm(), pv()));
    },
    batchNormGrad(a, dx, dgamma, dbeta) {
      const c = call();
      const pdy = c.input(a.dy), px = c.input(a.x), pm = c.input(a.mean), pv = c.input(a.variance), pg = c.input(a.gamma);
      const pdx = c.output(dx), pdg = c.output(dgamma), pdb = c.output(dbeta);
      const acc = c.scratch(2 * a.cols * D), tmp = c.scratch(3 * a.cols * F);
      c.run(() => ex.batch_norm_grad(pdy(), px(), pm(), pv(), pg(), a.eps, a.rows, a.cols, acc(), tmp(), pdx(), pdg(), pdb()));
    },
    maxPool2x2Grad(x, dy, dx, s) {
      // Rows or columns no window covers (odd sizes) get no gradient; the kernel writes only covered ones.
      if (2 * s.ho < s.h || 2 * s.wo < s.w) dx.fill(0);
      const c = call();
      const px = c.input(x), pdy = c.input(dy), pdx = c.output(dx);
      c.run(() => ex.max_pool_2x2_grad(px(), pdy(), pdx(), s.n, s.h, s.w, s.c, s.ho, s.wo));
    },
    maxPoolGrad(x, dy, dx, s) {
      if (s.c % 4 !== 0) throw new Error(`maxPoolGrad needs a multiple of 4 channels; got ${s.c}`);
      dx.fill(0);
      const c = call();
      const px = c.input(x), pdy = c.input(dy), pdx = c.output(dx);
      c.run(() => ex.max_pool_grad(px(), pdy(), pdx(), s.n, s.h, s.w, s.c, s.ho, s.wo, s.fh, s.fw, s.sh, s.sw, s.top, s.left));
    },
    biasRelu(x, bias, y, rows, cols) {
      const c = call();
      const px = c.input(x), pb = c.input(bias), py = c.output(y);
      c.run(() => ex.bias_relu(px(), pb(), py(), rows, cols));
    },
    biasReluGrad(dy, y, dx, dbias, rows, cols) {
      const c = call();
      const pdy = c.input(dy), py = c.input(y), pdx = c.output(dx), pdb = c.output(dbias), acc = c.scratch(cols * D), tmp = c.scratch(cols * F);
      c.run(() => ex.bias_relu_grad(pdy(), py(), pdx(), pdb(), rows, cols, acc(), tmp()));
    },
    convFilterGrad(x, dy, info) {
      const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: ho, outWidth: wo, outChannels: co } = info;
      const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dwl } = info;
      if (co % 4 !== 0) throw new Error(`convFilterGrad needs a multiple of 4 output channels; got ${co}`);
      const { top, left } = info.padInfo;
      // X zero-padded to exactly the window the taps sweep: every read in bounds.
      const hp = (ho - 1) * sh + (kh - 1) * dh + 1, wp = (wo - 1) * sw + (kw - 1) * dwl + 1;
      const nw = kh * kw * ci * co;
      const c = call();
      const px = c.input(x);
      const pxp = c.scratch(n * hp * wp * ci * F), pdy = c.input(dy), pdw = c.scratch(nw * F), totf = c.scratch(nw * F), tot = c.scratch(nw * D);
      return c.run(() => {
        const src = c.f32(px(), x.length), xp = c.f32(pxp(), n * hp * wp * ci);
        xp.fill(0);
        const c0 = Math.max(0, -left), c1 = Math.min(w, wp - left);   // input columns inside the window
        if (c1 > c0) {
          for (let b = 0; b < n; b++) {
            for (let y = 0; y < h; y++) {
              const py = y + top;
              if (py < 0 || py >= hp) continue;
              const s0 = ((b * h + y) * w + c0) * ci;
              xp.set(src.subarray(s0, s0 + (c1 - c0) * ci), ((b * hp + py) * wp + c0 + left) * ci);
            }
          }
        }
        ex.conv_filter_grad(pxp(), pdy(), pdw(), n, hp, wp, ci, ho, wo, co, kh, kw, sh, sw, dh, dwl, totf(), tot());
        return Float32Array.from(c.f32(pdw(), nw));
      });
    },
    convInputGrad(dy, filter, info, dx) {
      const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: ho, outWidth: wo, outChannels: co } = info;
      const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dwl } = info;
      if (ci % 4 !== 0) throw new Error(`convInputGrad needs a multiple of 4 input channels; got ${ci}`);
      const nf = kh * kw * ci * co;
      const f = filter.buffer === memory.buffer ? filter.slice() : filter;   // read after mallocs: not a heap view
      const c = call();
      const pdy = c.input(dy), pwt = c.scratch(nf * F), pdx = c.output(dx);
      c.run(() => {
        // W [kh, kw, ci, co] -> [kh, kw, co, ci]: input channels contiguous for the kernel.
        const wt = c.f32(pwt(), nf);
        for (let t = 0; t < kh * kw; t++) {
          const base = t * ci * co;
          for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) wt[base + o * ci + i] = f[base + i * co + o];
        }
        ex.conv_input_grad(pdy(), pwt(), pdx(), n, h, w, ci, ho, wo, co, kh, kw, sh, sw, dh, dwl, info.padInfo.top, info.padInfo.left);
      });
    },
  };
  return { kernels };
}

let cached: { memory: WebAssembly.Memory; kernels: SimdKernels | null; problem?: string } | undefined;

/**
 * Whether cellab's SIMD kernels run on the current backend, and if not, why
 * (for the engine line: a fallback to the slower JavaScript kernels is said once, there).
 */
export function simdKernelsStatus(): { kernels: SimdKernels | null; problem?: string } {
  if (process.env.CELLAB_SIMD_KERNELS === '0') return { kernels: null, problem: 'off by CELLAB_SIMD_KERNELS=0' };
  if (tf.getBackend() !== 'wasm') return { kernels: null, problem: `the backend is ${tf.getBackend()}, not wasm` };
  const w = (tf.backend() as unknown as { wasm?: TfjsWasmModule }).wasm;
  const memory = w?.wasmMemory ?? w?.asm?.memory;
  if (!w || !memory || typeof w._malloc !== 'function') {
    return { kernels: null, problem: 'this @tensorflow/tfjs-backend-wasm build does not expose its heap (a version other than 4.22?)' };
  }
  if (cached?.memory !== memory) cached = { memory, ...load(w, memory) };
  return cached;
}

/**
 * The kernels for the running wasm backend (loaded on first use, again if the
 * backend was re-created); null when they cannot run here.
 */
export function simdKernels(): SimdKernels | null {
  return simdKernelsStatus().kernels;
}
