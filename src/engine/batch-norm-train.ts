// Batch normalisation in training mode as one differentiable op, for layers
// that want it cheaper than Keras' BatchNormalization. That layer builds
// moments (Mean, Sub, Square, Mean) + FusedBatchNorm, and autodiff walks all
// of it back: ~50 kernels and ~20 full passes over the activations per layer
// and step, which on wasm (25-40 us of engine overhead per kernel) is a large
// share of a ResNet's step. Here: forward = channel statistics + FusedBatchNorm,
// backward = the closed form
//   dx = gamma * rstd * (dy - mean(dy) - xhat * mean(dy * xhat)),
//   dgamma = sum(dy * xhat), dbeta = sum(dy),   xhat = (x - mean) * rstd,
// each one kernel on wasm (two JS passes over the heap), tf ops elsewhere.
// Channels are the last axis; statistics are over every other axis.
import * as tf from '@tensorflow/tfjs';
import { shareStorage } from './tape-clone';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { columnSums } from './leading-axes-reduce';
import { simdKernels } from './simd-kernels';
import { type WasmHeapBackend, rowsCols } from './kernel-util';

const MOMENTS = 'CellabChannelMoments';
const GRAD = 'CellabBatchNormGrad';

/**
 * Per-column reductions of a row-major [rows, cols] array: `column(o, end, c,
 * acc)` reduces column c over the rows of one block (indices o, o + cols, ...
 * < end) into local variables and adds the result to acc[c]. Blocks of rows
 * stay in the L1 cache; accumulating in locals, not acc[c] per element, is
 * what makes such a loop fast in JavaScript.
 */
function blockedColumns(rows: number, cols: number, column: (o: number, end: number, c: number, acc: Float64Array) => void): Float64Array {
  const acc = new Float64Array(cols);
  const block = Math.max(1, Math.floor(8192 / cols));
  for (let r0 = 0; r0 < rows; r0 += block) {
    const end = Math.min(rows, r0 + block) * cols;
    for (let c = 0; c < cols; c++) column(r0 * cols + c, end, c, acc);
  }
  return acc;
}

/** [mean, variance] per channel, two passes (centred variance: no cancellation). */
const wasmMoments: KernelFunc = ({ inputs, backend }) => {
  const b = backend as unknown as WasmHeapBackend;
  const x = inputs.x as TensorInfo;
  const [rows, cols] = rowsCols(x.shape);
  const meanOut = b.makeOutput([cols], 'float32');
  const varOut = b.makeOutput([cols], 'float32');
  const src = b.typedArrayFromHeap(x);
  const simd = simdKernels();
  if (simd) {
    simd.channelMoments(src, rows, cols, b.typedArrayFromHeap(meanOut), b.typedArrayFromHeap(varOut));
    return [meanOut, varOut];
  }
  const sums = columnSums(src, rows, cols);
  const mean = sums.map((s) => s / rows);
  const sq = blockedColumns(rows, cols, (o, end, c, acc) => {
    const m = mean[c];
    let s = 0;
    for (let i = o; i < end; i += cols) { const d = src[i] - m; s += d * d; }
    acc[c] += s;
  });
  b.typedArrayFromHeap(meanOut).set(mean);
  b.typedArrayFromHeap(varOut).set(sq.map((s) => s / rows));
  return [meanOut, varOut];
};

/** [dx, dgamma, dbeta] from dy, x, mean, variance, gamma (attrs: epsilon). */
const wasmGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WasmHeapBackend;
  const { dy, x, mean, variance, gamma } = inputs as Record<string, TensorInfo>;
  const eps = (attrs as unknown as { epsilon: number }).epsilon;
  const [rows, cols] = rowsCols(x.shape);
  const dxOut = b.makeOutput(x.shape, 'float32');
  const dgOut = b.makeOutput([cols], 'float32');
  const dbOut = b.makeOutput([cols], 'float32');
  const g = b.typedArrayFromHeap(dy), xs = b.typedArrayFromHeap(x);
  const mu = b.typedArrayFromHeap(mean), v = b.typedArrayFromHeap(variance), gm = b.typedArrayFromHeap(gamma);
  const simd = simdKernels();
  if (simd) {
    simd.batchNormGrad({ dy: g, x: xs, mean: mu, variance: v, gamma: gm, eps, rows, cols },
      b.typedArrayFromHeap(dxOut), b.typedArrayFromHeap(dgOut), b.typedArrayFromHeap(dbOut));
    return [dxOut, dgOut, dbOut];
  }
  const rstd = Float64Array.from(v, (vv) => 1 / Math.sqrt(vv + eps));
  const sumDyXc = new Float64Array(cols);
  const sumDy = blockedColumns(rows, cols, (o, end, c, acc) => {
    const m = mu[c];
    let s = 0, sx = 0;
    for (let i = o; i < end; i += cols) { const d = g[i]; s += d; sx += d * (xs[i] - m); }
    acc[c] += s;
    sumDyXc[c] += sx;
  });
  const n = rows * cols;
  // dx = k * dy - a * (x - mean) - k * mean(dy), with k = gamma * rstd, a = k * rstd^2 * mean(dy * (x - mean)).
  const k = new Float64Array(cols), a = new Float64Array(cols), c0 = new Float64Array(cols);
  for (let c = 0; c < cols; c++) {
    k[c] = gm[c] * rstd[c];
    a[c] = k[c] * rstd[c] * rstd[c] * (sumDyXc[c] / rows);
    c0[c] = k[c] * (sumDy[c] / rows) - a[c] * mu[c];
  }
  const dx = b.typedArrayFromHeap(dxOut);
  for (let o = 0; o < n; o += cols) {
    for (let c = 0; c < cols; c++) dx[o + c] = k[c] * g[o + c] - a[c] * xs[o + c] - c0[c];
  }
  const dg = b.typedArrayFromHeap(dgOut), db = b.typedArrayFromHeap(dbOut);
  for (let c = 0; c < cols; c++) { dg[c] = sumDyXc[c] * rstd[c]; db[c] = sumDy[c]; }
  return [dxOut, dgOut, dbOut];
};

export const batchNormTrainKernels: KernelConfig[] = [
  { kernelName: MOMENTS, backendName: 'wasm', kernelFunc: wasmMoments },
  { kernelName: GRAD, backendName: 'wasm', kernelFunc: wasmGrad },
];

/** Register the wasm kernels of batchNormTrain (other backends use tf ops). Idempotent. */
export function registerBatchNormTrainKernels(): void {
  for (const k of batchNormTrainKernels) if (!tf.getKernel(k.kernelName, 'wasm')) tf.registerKernel(k);
}

function hasKernel(name: string): boolean {
  return tf.getKernel(name, tf.getBackend()) != null;
}

/** Mean and (biased) variance of each channel (last axis) over all other axes. */
export function channelMoments(x: tf.Tensor): { mean: tf.Tensor1D; variance: tf.Tensor1D } {
  if (x.dtype === 'float32' && hasKernel(MOMENTS)) {
    const [mean, variance] = tf.engine().runKernel(MOMENTS, { x }) as tf.Tensor1D[];
    return { mean, variance };
  }
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const m = tf.moments(x, axes);
  return { mean: m.mean as tf.Tensor1D, variance: m.variance as tf.Tensor1D };
}

function gradByOps(dy: tf.Tensor, x: tf.Tensor, mean: tf.Tensor1D, variance: tf.Tensor1D, gamma: tf.Tensor1D, eps: number): tf.Tensor[] {
  return tf.tidy(() => {
    const axes = x.shape.slice(0, -1).map((_, i) => i);
    const rows = x.size / x.shape[x.rank - 1];
    const rstd = tf.rsqrt(tf.add(variance, eps));
    const xc = tf.sub(x, mean);
    const sumDy = tf.sum(dy, axes);
    const sumDyXc = tf.sum(tf.mul(dy, xc), axes);
    const k = tf.mul(gamma, rstd);
    const a = tf.mul(tf.mul(k, tf.square(rstd)), tf.div(sumDyXc, rows));
    const dx = tf.sub(tf.sub(tf.mul(dy, k), tf.mul(xc, a)), tf.mul(k, tf.div(sumDy, rows)));
    return [dx, tf.mul(sumDyXc, rstd), sumDy];
  });
}

export interface BatchNormTrainResult {
  /** The normalised, scaled and shifted activations. */
  y: tf.Tensor;
  /** This batch's statistics (for the moving averages); not differentiable. The caller disposes them. */
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/**
 * Training-mode batch normalisation over all axes but the last: y = gamma *
 * (x - mean) / sqrt(variance + epsilon) + beta with the batch's mean and
 * variance; differentiable in x, gamma and beta (gradient in closed form).
 */
export function batchNormTrain(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number): BatchNormTrainResult {
  let stats: { mean: tf.Tensor1D; variance: tf.Tensor1D } | undefined;
  const op = tf.customGrad((xx: tf.Tensor | tf.GradSaveFunc, g: tf.Tensor | tf.GradSaveFunc, bb: tf.Tensor | tf.GradSaveFunc,
    save: tf.Tensor | tf.GradSaveFunc) => {
    const xt = xx as tf.Tensor, gt = g as tf.Tensor1D, bt = bb as tf.Tensor1D;
    const { mean, variance } = channelMoments(xt);
    // The caller's own references (no gradient flows through them): no Identity kernel each.
    const share = (t: tf.Tensor1D) => (shareStorage(t) ?? tf.clone(t)) as tf.Tensor1D;
    stats = { mean: tf.keep(share(mean)), variance: tf.keep(share(variance)) };
    (save as tf.GradSaveFunc)([xt, mean, variance, gt]);
    return {
      // tf.batchNorm would add a Reshape to x's own shape after the kernel (4-D in, 4-D out).
      value: xt.rank === 4
        ? tf.engine().runKernel('FusedBatchNorm', { x: xt, scale: gt, offset: bt, mean, variance }, { varianceEpsilon: epsilon }) as tf.Tensor
        : tf.batchNorm(xt, mean, variance, bt, gt, epsilon),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sm, sv, sg] = saved as [tf.Tensor, tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
        if (dy.dtype === 'float32' && hasKernel(GRAD)) {
          return tf.engine().runKernel(GRAD, { dy, x: sx, mean: sm, variance: sv, gamma: sg }, { epsilon }) as tf.Tensor[];
        }
        return gradByOps(dy, sx, sm, sv, sg, epsilon);
      },
    };
  });
  const y = op(x, gamma, beta);
  return { y, mean: stats!.mean, variance: stats!.variance };
}
