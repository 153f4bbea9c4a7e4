// Sum and Mean over the leading axes on wasm (a bias gradient: sum of dY over
// N, H, W; a batch-norm statistic: mean over N, H, W) as one JavaScript pass
// over the heap. tfjs-backend-wasm reduces only innermost axes, so it first
// transposes the whole tensor to put C in front (5 ns per element on wasm);
// summing the rows of a [rows, C] view needs no copy. Accumulates in double
// precision. Any other reduction goes to the backend's own kernel.
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { simdKernels } from './simd-kernels';
import { type WasmHeapBackend } from './kernel-util';

/** How many leading axes `axis` names (normalised, sorted); 0 if they are not exactly 0..k-1 of fewer than all axes. */
export function leadingAxes(axis: number | number[] | undefined, rank: number): number {
  if (axis == null) return 0;
  const axes = [...new Set((Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
  if (axes.length === 0 || axes.length >= rank) return 0;
  return axes.every((a, i) => a === i) ? axes.length : 0;
}

/**
 * Sum of each column of a row-major [rows, cols] array, in double precision.
 * Blocks of rows small enough for the L1 cache, four columns at a time in
 * local accumulators (a plain acc[c] += x loop is 4x slower: every add goes
 * through memory).
 */
export function columnSums(src: Float32Array, rows: number, cols: number): Float64Array {
  const acc = new Float64Array(cols);
  const block = Math.max(1, Math.floor(8192 / cols));
  for (let r0 = 0; r0 < rows; r0 += block) {
    const end = Math.min(rows, r0 + block) * cols;
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (let o = r0 * cols + c; o < end; o += cols) { a0 += src[o]; a1 += src[o + 1]; a2 += src[o + 2]; a3 += src[o + 3]; }
      acc[c] += a0; acc[c + 1] += a1; acc[c + 2] += a2; acc[c + 3] += a3;
    }
    for (; c < cols; c++) {
      let a = 0;
      for (let o = r0 * cols + c; o < end; o += cols) a += src[o];
      acc[c] += a;
    }
  }
  return acc;
}

function reduceLeading(kind: 'Sum' | 'Mean', fallback: KernelFunc): KernelFunc {
  return (args) => {
    const x = args.inputs.x as TensorInfo;
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    const k = leadingAxes(axis, x.shape.length);
    if (x.dtype !== 'float32' || k === 0) return fallback(args);
    const b = args.backend as unknown as WasmHeapBackend;
    const rows = x.shape.slice(0, k).reduce((p, d) => p * d, 1);
    const kept = x.shape.slice(k);
    const cols = kept.reduce((p, d) => p * d, 1);
    const out = b.makeOutput(keepDims ? [...x.shape.slice(0, k).map(() => 1), ...kept] : kept, 'float32');
    // Views after makeOutput: an allocation may grow (and move) the heap.
    const src = b.typedArrayFromHeap(x);
    const acc = simdKernels()?.columnSums(src, rows, cols) ?? columnSums(src, rows, cols);
    const dst = b.typedArrayFromHeap(out);   // after the kernel: it may grow the heap
    const scale = kind === 'Mean' ? 1 / rows : 1;
    for (let c = 0; c < cols; c++) dst[c] = acc[c] * scale;
    return out;
  };
}

const ours = new WeakSet<KernelFunc>();

/**
 * Wrap wasm's Sum and Mean with the leading-axes fast path (after the wasm
 * backend has started: the wrapped kernels must be set up). Idempotent.
 * Returns the kernels wrapped by this call.
 */
export function registerLeadingAxesReduce(): string[] {
  const wrapped: string[] = [];
  for (const name of ['Sum', 'Mean'] as const) {
    const current = tf.getKernel(name, 'wasm');
    if (!current || ours.has(current.kernelFunc)) continue;
    const kernelFunc = reduceLeading(name, current.kernelFunc);
    ours.add(kernelFunc);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...current, kernelFunc });
    wrapped.push(name);
  }
  return wrapped;
}
