// Batch normalisation's apply step on wasm, y = offset + (x - mean) * scale /
// sqrt(variance + eps) per channel (the last axis), in cellab's SIMD kernel
// (batch_norm_apply in simd/kernels.c) over the kernel pool's threads instead
// of tfjs-backend-wasm's FusedBatchNorm, a scalar loop with a square root per
// element on one thread: ~7 ms of a resnet18 (width 0.25, 64 px) training step
// at one thread, and none of it on the second core. The same math, to float
// rounding: scale / sqrt(variance + eps) is taken once per channel and
// multiplied in, where tfjs divides every element. Statistics of another shape than one value
// per channel (or a broadcast single value) go to tfjs' kernel.
import type { TensorInfo } from '@tensorflow/tfjs';
import { wasmKernelOverride } from './kernel-override';
import { simdKernels } from './simd-kernels';
import { rowsCols, type WasmHeapBackend } from './kernel-util';

const size = (t: TensorInfo) => t.shape.reduce((a, d) => a * d, 1);

export const batchNormApplyOverride = wasmKernelOverride('FusedBatchNorm', ({ inputs, backend, attrs }) => {
  const simd = simdKernels();
  const { x, mean, variance, offset, scale } = inputs as Record<string, TensorInfo | undefined>;
  if (!simd || !x || !mean || !variance || x.dtype !== 'float32' || x.shape.length === 0) return null;
  const [rows, cols] = rowsCols(x.shape);
  const perChannel = [mean, variance, offset, scale].every((t) => !t || (t.dtype === 'float32' && size(t) === cols));
  if (!perChannel) return null;
  const heap = backend as unknown as WasmHeapBackend;
  const out = heap.makeOutput(x.shape, 'float32');
  const ones = scale ? null : new Float32Array(cols).fill(1), zeros = offset ? null : new Float32Array(cols);
  const view = (t: TensorInfo) => heap.typedArrayFromHeap(t);
  simd.batchNormApply(view(x), view(mean), view(variance), scale ? view(scale) : ones!, offset ? view(offset) : zeros!,
    (attrs as { varianceEpsilon: number }).varianceEpsilon, rows, cols, view(out));
  return out;
});

/** Put cellab's batch-norm apply in front of tfjs-backend-wasm's (the fallback). Idempotent. */
export function registerBatchNormApplyKernel(): boolean {
  return batchNormApplyOverride.register();
}
