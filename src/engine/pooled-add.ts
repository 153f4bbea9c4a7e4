// Add on wasm over the kernel pool's threads (add_elems in simd/kernels.c) for
// float32 inputs of one shape, the residual sums of a resnet. tfjs-backend-wasm
// runs Add through XNNPACK, which on a resnet gets one thread
// (engine-threads.ts: its operators would only compete with cellab's kernels):
// resnet18's 16 sums (width 0.25, 64 px) took ~1 ms of a training step at two
// threads, none of it on the second core. On one thread XNNPACK's is as fast,
// so it keeps those, and every sum that broadcasts. Exact either way.
// (ReLU stays XNNPACK's: a pooled one measured no faster, the calls being small.)
import type { TensorInfo } from '@tensorflow/tfjs';
import { wasmKernelOverride } from './kernel-override';
import { simdKernels } from './simd-kernels';
import type { WasmHeapBackend } from './kernel-util';

const sameShape = (a: TensorInfo, b: TensorInfo) => a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);

export const addOverride = wasmKernelOverride('Add', ({ inputs, backend }) => {
  const simd = simdKernels();
  const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
  if (!simd || simd.threads < 2 || a.dtype !== 'float32' || b.dtype !== 'float32' || !sameShape(a, b)) return null;
  const heap = backend as unknown as WasmHeapBackend;
  const out = heap.makeOutput(a.shape, 'float32');
  simd.add(heap.typedArrayFromHeap(a), heap.typedArrayFromHeap(b), heap.typedArrayFromHeap(out));
  return out;
});

/** Put cellab's Add in front of tfjs-backend-wasm's (the fallback). Idempotent. */
export function registerPooledAddKernel(): boolean {
  return addOverride.register();
}
