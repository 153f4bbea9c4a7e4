// Loads cellab's own wasm SIMD kernels (src/engine/simd/kernels.c, built into
// lib/cellab-kernels.wasm and, for the multithreaded tfjs build whose memory
// is shared, lib/cellab-kernels-shared.wasm; each also as a -relaxed build with
// fused multiply-adds, used where the runtime has relaxed SIMD). The module
// imports tfjs-backend-wasm's memory, so the kernels read and write tensors
// where they lie: arrays on that heap are passed as offsets, other arrays are
// copied in (and out) through tfjs' malloc, as is scratch space. On the
// multithreaded backend they run on every thread (kernel-pool.ts). The
// callers keep their JavaScript versions and use them when this returns null:
// the backend is not wasm, the module cannot load (no SIMD), or
// CELLAB_SIMD_KERNELS=0 (tests compare the two). CELLAB_RELAXED_SIMD=0 keeps
// the plain SIMD build where relaxed SIMD is available.
//
// Caution for callers: a kernel may allocate on the tfjs heap, which can grow
// it and detach every view taken before; take output views after the call.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { KernelPool } from './kernel-pool';

/** ../../lib from both src/engine (tsx) and dist/engine (tsc). */
const LIB = path.join(__dirname, '..', '..', 'lib');
export const SIMD_KERNELS_FILE = path.join(LIB, 'cellab-kernels.wasm');
export const SIMD_KERNELS_SHARED_FILE = path.join(LIB, 'cellab-kernels-shared.wasm');
const relaxedFile = (file: string) => file.replace(/\.wasm$/, '-relaxed.wasm');

/** The kernels' exports that take a range [lo, hi) last (run through the pool). */
const POOLED = ['col_sums_blocks', 'sq_dev_blocks', 'bn_grad_blocks', 'bn_grad_apply', 'scale_shift', 'bias_relu', 'relu_grad_blocks',
  'max_pool_2x2_grad', 'max_pool_grad', 'pad_rows', 'conv_filter_grad', 'transpose_taps', 'conv_input_grad', 'conv_filter_grad_seg', 'filter_grad_combine', 'optimizer_step', 'conv_forward', 'batch_norm_apply', 'relu_grad', 'add_elems'] as const;

interface Exports {
  relaxed_build(): number;
  combine_blocks(part: number, nb: number, stride: number, cols: number, out: number): void;
  window_offsets(tab: number, n: number, ho: number, wo: number, hp: number, wp: number, ci: number, sh: number, sw: number): void;
}

/** The geometry of a convolution (tf.backend_util.Conv2DInfo's fields that matter here). */
export interface ConvGeometry {
  batchSize: number; inHeight: number; inWidth: number; inChannels: number; outHeight: number; outWidth: number; outChannels: number;
  filterHeight: number; filterWidth: number; strideHeight: number; strideWidth: number; dilationHeight: number; dilationWidth: number;
  padInfo: { top: number; left: number };
}

export interface SimdKernels {
  /** True for the relaxed-SIMD build (fused multiply-adds in the convolution gradients). */
  readonly relaxed: boolean;
  /** Threads the kernels run on (the backend's). */
  readonly threads: number;
  /** Pool workers started so far, and the chunks of work they ran (the main thread runs the rest). */
  poolStats(): { workers: number; workerChunks: number };
  /** Column sums of a row-major [rows, cols] array (float32 blocks of 64 rows, added in double). */
  columnSums(x: Float32Array, rows: number, cols: number): Float64Array;
  /** Per-column mean and biased variance into `mean` and `variance`. */
  channelMoments(x: Float32Array, rows: number, cols: number, mean: Float32Array, variance: Float32Array): void;
  /** Closed-form batch-norm gradient (batch-norm-train.ts) into dx, dgamma, dbeta. */
  batchNormGrad(a: { dy: Float32Array; x: Float32Array; mean: Float32Array; variance: Float32Array; gamma: Float32Array; eps: number; rows: number; cols: number },
    dx: Float32Array, dgamma: Float32Array, dbeta: Float32Array): void;
  /** y = x * scale + shift per column (then max(y, 0) if `relu`) over a row-major [rows, cols] array. */
  scaleShift(x: Float32Array, scale: Float32Array, shift: Float32Array, rows: number, cols: number, relu: boolean, y: Float32Array): void;
  /** 2x2 / stride-2 max-pool gradient (windows inside the input) into dx, which it fills entirely. */
  maxPool2x2Grad(x: Float32Array, dy: Float32Array, dx: Float32Array, s: { n: number; h: number; w: number; c: number; ho: number; wo: number }): void;
  /** Any max-pool gradient (c % 4 == 0) into dx, which it fills entirely. */
  maxPoolGrad(x: Float32Array, dy: Float32Array, dx: Float32Array,
    s: { n: number; h: number; w: number; c: number; ho: number; wo: number; fh: number; fw: number; sh: number; sw: number; top: number; left: number }): void;
  /** dW [kh, kw, ci, co] of a convolution (NHWC X and dY) into dw; needs co % 4 == 0. `cut`: force how the work is cut (tests; same bits). */
  convFilterGrad(x: Float32Array, dy: Float32Array, info: ConvGeometry, dw: Float32Array, cut?: 'taps' | 'positions'): void;
  /** y = max(x + bias, 0) over a row-major [rows, cols] array, bias per column. */
  biasRelu(x: Float32Array, bias: Float32Array, y: Float32Array, rows: number, cols: number): void;
  /** Gradient of biasRelu from its output: dx = y > 0 ? dy : 0, dbias = column sums of dx. */
  biasReluGrad(dy: Float32Array, y: Float32Array, dx: Float32Array, dbias: Float32Array, rows: number, cols: number): void;
  /** dX [n, h, w, ci] of a convolution from dY and the filter W [kh, kw, ci, co] into dx; needs ci % 4 == 0. */
  convInputGrad(dy: Float32Array, filter: Float32Array, info: ConvGeometry, dx: Float32Array): void;
  /**
   * A forward convolution (NHWC x, W [kh, kw, ci, co] as stored) plus bias and
   * activation (0 none, 1 ReLU, 2 ReLU6) into y; needs co % 4 == 0.
   */
  convForward(x: Float32Array, filter: Float32Array, bias: Float32Array | null, info: ConvGeometry, activation: 0 | 1 | 2, y: Float32Array): void;
  /**
   * y = offset + (x - mean) * scale / sqrt(variance + eps) per column of a row-major
   * [rows, cols] array (tfjs' FusedBatchNorm to float rounding: scale / sqrt(...) is taken once per
   * column); per-column arrays of cols floats.
   */
  batchNormApply(x: Float32Array, mean: Float32Array, variance: Float32Array, scale: Float32Array, offset: Float32Array, eps: number,
    rows: number, cols: number, y: Float32Array): void;
  /** dx = x > 0 ? dy : 0, element-wise over n floats. */
  reluGrad(dy: Float32Array, x: Float32Array, dx: Float32Array): void;
  /** y = a + b, element-wise over n floats. */
  add(a: Float32Array, b: Float32Array, y: Float32Array): void;
  /**
   * xp [n, hp, wp, c] = x [n, h, w, c] shifted by (top, left) with zeros around it: a zero padding
   * of height and width, or with negative top / left a crop (a slice of height and width).
   */
  shiftRows(x: Float32Array, s: { n: number; h: number; w: number; c: number }, xp: Float32Array, hp: number, wp: number, top: number, left: number): void;
  /** `n` zeroed floats on the backend's heap that stay until free(): an optimiser's state, which the kernels update in place. */
  heapArray(n: number): HeapArray;
  /** One optimiser step of a weight (optimizer_step in kernels.c): p, g and out on the heap; s1/s2 the rule's state. */
  optimizerStep(rule: OptimizerRule, p: Float32Array, g: Float32Array, out: Float32Array, s1: HeapArray | null, s2: HeapArray | null): void;
}

/** Floats on the backend's heap; view() is valid until the next allocation (the heap may grow). */
export interface HeapArray {
  readonly length: number;
  view(): Float32Array;
  free(): void;
}

/**
 * The numbers of one step. Adam/AdamW: c1, c2 = betas, step = lr / bias correction 1,
 * rsqrtBc2 = 1 / sqrt(bias correction 2); RMSprop: c2 = alpha.
 */
export interface OptimizerRule {
  rule: 'adam' | 'sgd' | 'rmsprop';
  lr: number; l2: number; shrink: number; c1: number; c2: number; step: number; rsqrtBc2: number; eps: number; momentum: number; nesterov: boolean;
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
        // Emscripten returns addresses as signed int32: above 2 GiB of heap they come back negative.
        const ptr = this.w._malloc(Math.max(16, p.bytes)) >>> 0;
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

/** Elements per chunk of an element-wise pass (smaller chunks cost more in claiming than they run). */
const GRAIN = 16384;
/** Positions a filter gradient sums in float32 before adding into double (SEGMENT_BLOCKS * BLOCK in kernels.c). */
const SEGMENT = 16 * 64;
/** Partial sums a by-position filter gradient may hold (floats): past that, the cut by taps (no partials). */
const MAX_SEGMENT_FLOATS = 1 << 23;
const BLOCK = 64;   // rows per partial sum (kernels.c)

/**
 * Whether a filter gradient over `segments` segments of positions is cut by
 * position rather than by taps. Both give the same bits (kernels.c), so this is
 * only about speed: by taps every thread sweeps all of X and dY, by position
 * each reads its share, which is what lets a second thread help on the large
 * early layers; on one thread the cut by taps is as fast and needs no partials.
 */
function segmentsFor(segments: number, nw: number, threads: number): boolean {
  return threads > 1 && segments >= 2 * threads && segments * nw <= MAX_SEGMENT_FLOATS;
}

function instantiate(file: string, memory: WebAssembly.Memory): { module: WebAssembly.Module; exports: Record<string, unknown> } {
  const module = new WebAssembly.Module(fs.readFileSync(file));
  return { module, exports: new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, unknown> };
}

function load(w: TfjsWasmModule, memory: WebAssembly.Memory, threads: number): { kernels: SimdKernels | null; problem?: string; pool?: KernelPool } {
  const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const file = shared ? SIMD_KERNELS_SHARED_FILE : SIMD_KERNELS_FILE;
  let loaded: ReturnType<typeof instantiate> | undefined;
  if (process.env.CELLAB_RELAXED_SIMD !== '0') {
    // Relaxed SIMD: Node >= 22 (V8 >= 11.4); Node 20 with --experimental-wasm-relaxed-simd. Else a CompileError.
    try { loaded = instantiate(relaxedFile(file), memory); } catch { loaded = undefined; }
  }
  try {
    loaded ??= instantiate(file, memory);
  } catch (err) {
    // No SIMD in this runtime, or the file is missing: the JavaScript kernels run (the engine line says so).
    const e = err as NodeJS.ErrnoException;
    return { kernels: null, problem: e.code === 'ENOENT' ? `${path.relative(process.cwd(), file) || file} is missing (npm run build:kernels)` : `${path.basename(file)} did not load: ${e.message}` };
  }
  const ex = loaded.exports as unknown as Exports;
  const fns = loaded.exports as Record<string, (...a: number[]) => void>;
  let pool: KernelPool;
  let problem: string | undefined;
  try {
    pool = new KernelPool(shared ? threads : 1, loaded.module, memory, fns, [...POOLED]);
  } catch (err) {
    // The kernels still run, on the main thread only (the engine line says so).
    pool = new KernelPool(1, loaded.module, memory, fns, [...POOLED]);
    problem = `their ${threads - 1} worker thread(s) did not start (${(err as Error).message}): they run on the main thread only`;
  }
  const call = () => new Call(w, memory);
  const blocks = (rows: number) => Math.ceil(rows / BLOCK);
  const blockGrain = (cols: number) => Math.ceil(GRAIN / (BLOCK * cols));
  const rowGrain = (cols: number) => Math.ceil(GRAIN / cols);
  /** The double sums of part's columns over nb blocks (stride floats apart). */
  const combine = (c: Call, part: number, nb: number, stride: number, cols: number, acc: number) => {
    ex.combine_blocks(part, nb, stride, cols, acc);
    return c.f64(acc, cols);
  };
  const kernels: SimdKernels = {
    relaxed: ex.relaxed_build() === 1,
    threads: pool.threads,
    poolStats: () => ({ workers: pool.ready(), workerChunks: pool.workerChunks() }),
    columnSums(x, rows, cols) {
      const c = call(), nb = blocks(rows);
      const px = c.input(x), part = c.scratch(nb * cols * F), acc = c.scratch(cols * D);
      return c.run(() => {
        pool.run('col_sums_blocks', [px(), rows, cols, part()], nb, blockGrain(cols));
        return Float64Array.from(combine(c, part(), nb, cols, cols, acc()));
      });
    },
    channelMoments(x, rows, cols, mean, variance) {
      const c = call(), nb = blocks(rows);
      const px = c.input(x), pm = c.output(mean), pv = c.output(variance), part = c.scratch(nb * cols * F), acc = c.scratch(cols * D);
      c.run(() => {
        pool.run('col_sums_blocks', [px(), rows, cols, part()], nb, blockGrain(cols));
        const sums = combine(c, part(), nb, cols, cols, acc());
        const m = c.f32(pm(), cols);
        for (let k = 0; k < cols; k++) m[k] = sums[k] / rows;
        // The centred second pass (no cancellation), around the float32 mean.
        pool.run('sq_dev_blocks', [px(), pm(), rows, cols, part()], nb, blockGrain(cols));
        const sq = combine(c, part(), nb, cols, cols, acc());
        const v = c.f32(pv(), cols);
        for (let k = 0; k < cols; k++) v[k] = sq[k] / rows;
      });
    },
    batchNormGrad(a, dx, dgamma, dbeta) {
      const { rows, cols } = a;
      const c = call(), nb = blocks(rows);
      const pdy = c.input(a.dy), px = c.input(a.x), pm = c.input(a.mean), pv = c.input(a.variance), pg = c.input(a.gamma);
      const pdx = c.output(dx), pdg = c.output(dgamma), pdb = c.output(dbeta);
      const part = c.scratch(2 * nb * cols * F), acc = c.scratch(cols * D), coef = c.scratch(3 * cols * F);
      c.run(() => {
        pool.run('bn_grad_blocks', [pdy(), px(), pm(), rows, cols, part()], nb, blockGrain(cols));
        const sumDy = Float64Array.from(combine(c, part(), nb, 2 * cols, cols, acc()));
        const sumDyXc = combine(c, part() + cols * F, nb, 2 * cols, cols, acc());
        // dx = k dy - a (x - mean) - k mean(dy), k = gamma rstd, a = k rstd^2 mean(dy (x - mean));
        // dgamma = sum(dy (x - mean)) rstd, dbeta = sum(dy).
        const mu = c.f32(pm(), cols), v = c.f32(pv(), cols), gm = c.f32(pg(), cols);
        const k = c.f32(coef(), cols), aa = c.f32(coef() + cols * F, cols), c0 = c.f32(coef() + 2 * cols * F, cols);
        const dg = c.f32(pdg(), cols), db = c.f32(pdb(), cols);
        for (let j = 0; j < cols; j++) {
          const rstd = 1 / Math.sqrt(v[j] + Math.fround(a.eps));
          const kk = gm[j] * rstd, ak = kk * rstd * rstd * (sumDyXc[j] / rows);
          k[j] = kk;
          aa[j] = ak;
          c0[j] = kk * (sumDy[j] / rows) - ak * mu[j];
          dg[j] = sumDyXc[j] * rstd;
          db[j] = sumDy[j];
        }
        pool.run('bn_grad_apply', [pdy(), px(), coef(), coef() + cols * F, coef() + 2 * cols * F, cols, pdx()], rows, rowGrain(cols));
      });
    },
    scaleShift(x, scale, shift, rows, cols, relu, y) {
      const c = call();
      const px = c.input(x), ps = c.input(scale), pb = c.input(shift), py = c.output(y);
      c.run(() => pool.run('scale_shift', [px(), ps(), pb(), cols, relu ? 1 : 0, py()], rows, rowGrain(cols)));
    },
    maxPool2x2Grad(x, dy, dx, s) {
      const c = call();
      const px = c.input(x), pdy = c.input(dy), pdx = c.output(dx);
      c.run(() => pool.run('max_pool_2x2_grad', [px(), pdy(), pdx(), s.n, s.h, s.w, s.c, s.ho, s.wo], s.n, Math.ceil(GRAIN / (s.h * s.w * s.c))));
    },
    maxPoolGrad(x, dy, dx, s) {
      if (s.c % 4 !== 0) throw new Error(`maxPoolGrad needs a multiple of 4 channels; got ${s.c}`);
      const c = call();
      const px = c.input(x), pdy = c.input(dy), pdx = c.output(dx);
      c.run(() => pool.run('max_pool_grad', [px(), pdy(), pdx(), s.n, s.h, s.w, s.c, s.ho, s.wo, s.fh, s.fw, s.sh, s.sw, s.top, s.left],
        s.n, Math.ceil(GRAIN / (s.h * s.w * s.c))));
    },
    biasRelu(x, bias, y, rows, cols) {
      const c = call();
      const px = c.input(x), pb = c.input(bias), py = c.output(y);
      c.run(() => pool.run('bias_relu', [px(), pb(), cols, py()], rows, rowGrain(cols)));
    },
    biasReluGrad(dy, y, dx, dbias, rows, cols) {
      const c = call(), nb = blocks(rows);
      const pdy = c.input(dy), py = c.input(y), pdx = c.output(dx), pdb = c.output(dbias), part = c.scratch(nb * cols * F), acc = c.scratch(cols * D);
      c.run(() => {
        pool.run('relu_grad_blocks', [pdy(), py(), rows, cols, pdx(), part()], nb, blockGrain(cols));
        const sums = combine(c, part(), nb, cols, cols, acc());
        const db = c.f32(pdb(), cols);
        for (let k = 0; k < cols; k++) db[k] = sums[k];
      });
    },
    convFilterGrad(x, dy, info, dw, cut) {
      const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: ho, outWidth: wo, outChannels: co } = info;
      const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dwl } = info;
      if (co % 4 !== 0) throw new Error(`convFilterGrad needs a multiple of 4 output channels; got ${co}`);
      const { top, left } = info.padInfo;
      // X zero-padded to exactly the window the taps sweep: every read in bounds.
      const hp = (ho - 1) * sh + (kh - 1) * dh + 1, wp = (wo - 1) * sw + (kw - 1) * dwl + 1;
      const nw = kh * kw * ci * co, positions = n * ho * wo, groups = Math.ceil((kh * kw * ci) / 4);
      const c = call();
      const px = c.input(x), pdy = c.input(dy), pdw = c.output(dw);
      const segments = Math.ceil(positions / SEGMENT), bySegment = cut ? cut === 'positions' : segmentsFor(segments, nw, pool.threads);
      const pxp = c.scratch(n * hp * wp * ci * F), tab = c.scratch(positions * 4);
      const totf = c.scratch(bySegment ? F : nw * F), tot = c.scratch(bySegment ? D : nw * D), part = c.scratch(bySegment ? segments * nw * F : F);
      c.run(() => {
        pool.run('pad_rows', [px(), h, w, ci, pxp(), hp, wp, top, left], n * hp, Math.ceil(GRAIN / (wp * ci)));
        ex.window_offsets(tab(), n, ho, wo, hp, wp, ci, sh, sw);
        if (bySegment) {
          // Cut by positions (each thread reads only its part of X and dY), then the segments added in order.
          pool.run('conv_filter_grad_seg', [pxp(), tab(), pdy(), part(), positions, ci, co, kh, kw, wp, dh, dwl], segments, 1);
          pool.run('filter_grad_combine', [part(), segments, nw, pdw()], nw, Math.ceil(GRAIN / segments));
          return;
        }
        // A group of 4 taps is 4 * co * positions multiply-adds; chunks of at least ~256k.
        pool.run('conv_filter_grad', [pxp(), tab(), pdy(), pdw(), positions, ci, co, kh, kw, wp, dh, dwl, totf(), tot()],
          groups, Math.ceil(262144 / (4 * co * positions)));
      });
    },
    convInputGrad(dy, filter, info, dx) {
      const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: ho, outWidth: wo, outChannels: co } = info;
      const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dwl } = info;
      if (ci % 4 !== 0) throw new Error(`convInputGrad needs a multiple of 4 input channels; got ${ci}`);
      const nf = kh * kw * ci * co;
      const c = call();
      const pdy = c.input(dy), pf = c.input(filter), pdx = c.output(dx), pwt = c.scratch(nf * F), zeros = c.scratch(co * F);
      c.run(() => {
        c.f32(zeros(), co).fill(0);
        // W [kh, kw, ci, co] -> [kh, kw, co, ci]: input channels contiguous for the kernel.
        pool.run('transpose_taps', [pf(), pwt(), ci, co], kh * kw, Math.ceil(GRAIN / (ci * co)));
        pool.run('conv_input_grad', [pdy(), pwt(), zeros(), pdx(), h, w, ci, ho, wo, co, kh, kw, sh, sw, dh, dwl, info.padInfo.top, info.padInfo.left],
          n, Math.ceil((262144 * sh * sw) / (h * w * ci * co * kh * kw)));
      });
    },
    reluGrad(dy, x, dx) {
      const c = call();
      const pdy = c.input(dy), px = c.input(x), pdx = c.output(dx);
      c.run(() => pool.run('relu_grad', [pdy(), px(), pdx()], dx.length, GRAIN));
    },
    add(a, b, y) {
      const c = call();
      const pa = c.input(a), pb = c.input(b), py = c.output(y);
      c.run(() => pool.run('add_elems', [pa(), pb(), py()], y.length, GRAIN));
    },
    shiftRows(x, s, xp, hp, wp, top, left) {
      const c = call();
      const px = c.input(x), pxp = c.output(xp);
      c.run(() => pool.run('pad_rows', [px(), s.h, s.w, s.c, pxp(), hp, wp, top, left], s.n * hp, Math.ceil(GRAIN / (wp * s.c))));
    },
    batchNormApply(x, mean, variance, scale, offset, eps, rows, cols, y) {
      const c = call();
      const px = c.input(x), pm = c.input(mean), pv = c.input(variance), ps = c.input(scale), po = c.input(offset), py = c.output(y), pk = c.scratch(cols * F);
      c.run(() => {
        const v = c.f32(pv(), cols), s = c.f32(ps(), cols), k = c.f32(pk(), cols), e = Math.fround(eps);
        // float32 sum, square root and quotient, as tfjs' kernel computes them (a double operation rounded
        // to float32 is the float32 operation's result); the kernel then multiplies by k.
        for (let j = 0; j < cols; j++) k[j] = Math.fround(s[j] / Math.fround(Math.sqrt(Math.fround(v[j] + e))));
        pool.run('batch_norm_apply', [px(), pm(), pk(), po(), cols, py()], rows, rowGrain(cols));
      });
    },
    convForward(x, filter, bias, info, activation, y) {
      const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: ho, outWidth: wo, outChannels: co } = info;
      const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dwl } = info;
      if (co % 4 !== 0) throw new Error(`convForward needs a multiple of 4 output channels; got ${co}`);
      const c = call();
      const nz = Math.max(kw * ci, co);
      const px = c.input(x), pf = c.input(filter), py = c.output(y), zeros = c.scratch(nz * F);
      const pb = bias ? c.input(bias) : zeros;
      c.run(() => {
        c.f32(zeros(), nz).fill(0);
        // A row of output is wo * co * kh * kw * ci multiply-adds; chunks of at least ~256k.
        pool.run('conv_forward', [px(), pf(), pb(), zeros(), py(), h, w, ci, ho, wo, co, kh, kw, sh, sw, dh, dwl, info.padInfo.top, info.padInfo.left, activation],
          n * ho, Math.ceil(262144 / (wo * co * kh * kw * ci)));
      });
    },
    heapArray(n) {
      const ptr = w._malloc(Math.max(16, n * F)) >>> 0;
      if (!ptr) throw new Error(`cellab SIMD kernels: out of wasm memory (${n * F} bytes of optimiser state)`);
      new Float32Array(memory.buffer, ptr, n).fill(0);
      let live = true;
      return {
        length: n,
        view: () => {
          if (!live) throw new Error('cellab SIMD kernels: optimiser state used after free()');
          return new Float32Array(memory.buffer, ptr, n);
        },
        free: () => { if (live) w._free(ptr); live = false; },
      };
    },
    optimizerStep(r, p, g, out, s1, s2) {
      const c = call();
      const pp = c.input(p), pg = c.input(g), po = c.output(out);
      const ps1 = s1 ? c.input(s1.view()) : () => 0, ps2 = s2 ? c.input(s2.view()) : () => 0;
      const rule = r.rule === 'adam' ? 0 : r.rule === 'sgd' ? 1 : 2;
      c.run(() => pool.run('optimizer_step', [pp(), pg(), po(), ps1(), ps2(), rule, r.lr, r.l2, r.shrink, r.c1, r.c2, r.step, r.rsqrtBc2, r.eps,
        r.momentum, r.nesterov ? 1 : 0], p.length, GRAIN));
    },
  };
  return { kernels, problem, pool };
}

let cached: { memory: WebAssembly.Memory; kernels: SimdKernels | null; problem?: string } | undefined;
let cachedPool: KernelPool | undefined;

let kernelThreads: number | undefined;

/** The engine's thread count for cellab's kernel pool (initEngine sets it: XNNPACK may use fewer). */
export function setKernelThreads(threads: number): void {
  kernelThreads = threads;
}

/** The wasm backend's thread count (the engine's; else its pthread pool's). */
function backendThreads(): number {
  if (kernelThreads) return kernelThreads;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('@tensorflow/tfjs-backend-wasm') as { getThreadsCount(): number }).getThreadsCount();
  } catch {
    return 1;
  }
}

/**
 * Whether cellab's SIMD kernels run on the current backend, and if not (or
 * not on every thread), why: for the engine line, where a fallback is said once.
 */
export function simdKernelsStatus(): { kernels: SimdKernels | null; problem?: string } {
  if (process.env.CELLAB_SIMD_KERNELS === '0') return { kernels: null, problem: 'off by CELLAB_SIMD_KERNELS=0' };
  if (tf.getBackend() !== 'wasm') return { kernels: null, problem: `the backend is ${tf.getBackend()}, not wasm` };
  const w = (tf.backend() as unknown as { wasm?: TfjsWasmModule }).wasm;
  const memory = w?.wasmMemory ?? w?.asm?.memory;
  if (!w || !memory || typeof w._malloc !== 'function') {
    return { kernels: null, problem: 'this @tensorflow/tfjs-backend-wasm build does not expose its heap (a version other than 4.22?)' };
  }
  if (cached?.memory !== memory) {
    // A new backend (new heap): the old pool's workers would wait on the old one forever.
    cachedPool?.close();
    const { pool, ...loaded } = load(w, memory, backendThreads());
    cached = { memory, ...loaded };
    cachedPool = pool;
  }
  return cached;
}

/**
 * The kernels for the running wasm backend (loaded on first use, again if the
 * backend was re-created); null when they cannot run here.
 */
export function simdKernels(): SimdKernels | null {
  return simdKernelsStatus().kernels;
}
