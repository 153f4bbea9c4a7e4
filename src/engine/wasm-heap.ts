// Direct access to a float32 tensor's storage in the wasm backend's heap, for
// JS loops that replace chains of element-wise kernels: every tfjs kernel
// costs 25-40 us of engine overhead on wasm, so an optimiser step written as
// 14 tf ops per weight spends more time in bookkeeping than in arithmetic.
import * as tf from '@tensorflow/tfjs';
import { type WasmHeapBackend } from './kernel-util';

function wasmBackend(): WasmHeapBackend | null {
  return tf.getBackend() === 'wasm' ? tf.backend() as unknown as WasmHeapBackend : null;
}

/** True when tensors live in the wasm heap (views from heapView are available). */
export function onWasmHeap(): boolean {
  return wasmBackend() != null;
}

/**
 * A Float32Array over `t`'s storage in the wasm heap, or null on other
 * backends. For reading: tensors are immutable, and wasm's XNNPACK operators
 * keep packed copies of their weights per storage, so writing in place would
 * not even reach them. The view is invalidated when the heap grows: take it
 * right before use and allocate no tensor while holding it.
 */
export function heapView(t: tf.Tensor): Float32Array | null {
  const b = wasmBackend();
  if (!b || t.dtype !== 'float32' || t.isDisposed) return null;
  return b.typedArrayFromHeap({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
}
