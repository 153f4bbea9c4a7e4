// Zero padding of height and width (PadV2 of a 4-D float32 NHWC tensor with
// zero padding of axes 1 and 2 and constant 0: tf.layers.zeroPadding2d, e.g.
// before resnet's stem max-pool) on wasm in cellab's pad_rows kernel over the
// kernel pool's threads. tfjs-backend-wasm's PadV2 is a generic loop on one
// thread: ~0.6-0.8 ms per resnet18 (width 0.25, 64 px) training step for one
// 2.4 MB padding. Any other padding goes to tfjs' kernel. Exact: a copy.
import type { TensorInfo } from '@tensorflow/tfjs';
import { wasmKernelOverride } from './kernel-override';
import { simdKernels } from './simd-kernels';
import type { WasmHeapBackend } from './kernel-util';

export const zeroPadOverride = wasmKernelOverride('PadV2', ({ inputs, backend, attrs }) => {
  const simd = simdKernels();
  const x = inputs.x as TensorInfo;
  const { paddings, constantValue } = attrs as unknown as { paddings: [number, number][]; constantValue: number };
  if (!simd || x.dtype !== 'float32' || x.shape.length !== 4 || constantValue !== 0) return null;
  const [[b0, b1], [top, bottom], [left, right], [c0, c1]] = paddings;
  if (b0 !== 0 || b1 !== 0 || c0 !== 0 || c1 !== 0 || Math.min(top, bottom, left, right) < 0) return null;
  const [n, h, w, c] = x.shape;
  const hp = h + top + bottom, wp = w + left + right;
  const heap = backend as unknown as WasmHeapBackend;
  const out = heap.makeOutput([n, hp, wp, c], 'float32');
  simd.shiftRows(heap.typedArrayFromHeap(x), { n, h, w, c }, heap.typedArrayFromHeap(out), hp, wp, top, left);
  return out;
});

/** Put cellab's zero padding in front of tfjs-backend-wasm's PadV2 (the fallback). Idempotent. */
export function registerZeroPadKernel(): boolean {
  return zeroPadOverride.register();
}
