// Tile (and so tf.broadcastTo) for the wasm backend in JavaScript. The
// backend's own kernel computes an input index per output element (~120 ns
// per element: 64 ms to broadcast a channel vector over a [32,32,32,16]
// activation); here each axis is built by block copies (copyWithin, doubling
// the filled part each time), from the innermost axis out.
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: string): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
}

type Values = Float32Array | Int32Array | Uint8Array;

/** Fill `out` with `src` (shape `shape`) repeated `reps` times along each axis (row-major). */
export function tileInto(src: Values, shape: number[], reps: number[], out: Values): void {
  const rank = shape.length;
  const inStride = new Array<number>(rank).fill(1), outStride = new Array<number>(rank).fill(1);
  for (let d = rank - 2; d >= 0; d--) {
    inStride[d] = inStride[d + 1] * shape[d + 1];
    outStride[d] = outStride[d + 1] * shape[d + 1] * reps[d + 1];
  }
  const fill = (d: number, inOff: number, outOff: number): void => {
    const len = shape[d] * (d === rank - 1 ? 1 : outStride[d]);   // one copy of this axis' block
    if (d === rank - 1) out.set(src.subarray(inOff, inOff + shape[d]), outOff);
    else for (let i = 0; i < shape[d]; i++) fill(d + 1, inOff + i * inStride[d], outOff + i * outStride[d]);
    // Repeat the block reps[d] times by doubling.
    const total = len * reps[d];
    for (let filled = len; filled < total; filled *= 2) {
      out.copyWithin(outOff + filled, outOff, outOff + Math.min(filled, total - filled));
    }
  };
  if (rank === 0) out[0] = src[0];
  else fill(0, 0, 0);
}

export const tile: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WasmBackendLike;
  const x = inputs.x as TensorInfo;
  const reps = (attrs as unknown as { reps: number[] }).reps;
  const out = b.makeOutput(x.shape.map((d, i) => d * reps[i]), x.dtype);
  // Views after makeOutput: an allocation may grow (and move) the heap.
  if (out.shape.every((d) => d > 0)) tileInto(b.typedArrayFromHeap(x), x.shape, reps, b.typedArrayFromHeap(out));
  return out;
};
