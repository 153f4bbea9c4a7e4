// Slice on wasm for 4-D float32 boxes that keep the whole last axis (NHWC
// crops of height and width: the gradient of a zero padding, e.g. the one
// before resnet's stem max-pool). tfjs-backend-wasm copies those one pixel at a
// time in JavaScript (a subarray and a set per pixel: 32k calls, ~1.7 ms per
// resnet18 step at 64 px); each output row is one contiguous run, so here it
// is one copy per row: with cellab's SIMD kernels pad_rows (zero-pad.ts' kernel,
// a negative shift is a crop) over the kernel pool's threads, else a set() per
// row. Everything else goes to tfjs' kernel.
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { wasmKernelOverride } from './kernel-override';
import type { WasmHeapBackend } from './kernel-util';
import { simdKernels } from './simd-kernels';

export const sliceRowsOverride = wasmKernelOverride('Slice', ({ inputs, backend, attrs }) => {
  const x = inputs.x as TensorInfo;
  if (x.dtype !== 'float32' || x.shape.length !== 4) return null;
  const { begin, size } = attrs as unknown as { begin: number | number[]; size: number | number[] };
  const [b, s] = tf.slice_util.parseSliceParams(x as unknown as tf.Tensor, begin, size);
  if (tf.slice_util.isSliceContinous(x.shape, b, s) || b[3] !== 0 || s[3] !== x.shape[3]) return null;
  const heap = backend as unknown as WasmHeapBackend;
  const out = heap.makeOutput(s, 'float32');
  const xv = heap.typedArrayFromHeap(x), ov = heap.typedArrayFromHeap(out);
  const [, h, w, c] = x.shape, run = s[2] * c;
  const simd = simdKernels();
  if (simd) {
    // The crop as a shift by (-top, -left) into the output's size: pad_rows over the kernel pool's threads.
    simd.shiftRows(xv.subarray(b[0] * h * w * c), { n: s[0], h, w, c }, ov, s[1], s[2], -b[1], -b[2]);
    return out;
  }
  let o = 0;
  for (let i = b[0]; i < b[0] + s[0]; i++) {
    for (let j = b[1]; j < b[1] + s[1]; j++) {
      const from = ((i * h + j) * w + b[2]) * c;
      ov.set(xv.subarray(from, from + run), o);
      o += run;
    }
  }
  return out;
});

/** Put the row-wise slice in front of tfjs-backend-wasm's Slice (the fallback). Idempotent. */
export function registerSliceRowsKernel(): boolean {
  return sliceRowsOverride.register();
}
