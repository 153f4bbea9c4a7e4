// MaxPoolGrad for the wasm backend as a JavaScript loop over the wasm heap.
// tfjs-backend-wasm's own kernel is a scalar C++ loop that recomputes each
// window's arg-max per input position (~35 ns per input element: 10-20% of
// a small CNN's training step). Here each output window is scanned once, in
// NHWC order (channels innermost, contiguous), and its gradient goes to the
// first maximum: the semantics of tfjs-core's cpu backend (strict >, ties to
// the earliest position in row-major window order, NaN windows get nothing).
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { simdKernels } from './simd-kernels';
import { type WasmHeapBackend } from './kernel-util';

interface PoolAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export const maxPoolGrad: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as WasmHeapBackend;
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  const a = attrs as unknown as PoolAttrs;
  if (input.dtype !== 'float32') throw new Error(`MaxPoolGrad on wasm supports float32 input; got ${input.dtype}`);
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: ho, outWidth: wo } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: fh, filterWidth: fw } = info;
  const { top, left } = info.padInfo;
  const out = b.makeOutput(input.shape, 'float32');
  // Views taken after makeOutput: an allocation may grow (and move) the heap.
  const x = b.typedArrayFromHeap(input);
  const g = b.typedArrayFromHeap(dy);
  const dx = b.typedArrayFromHeap(out);
  const simple = fh === 2 && fw === 2 && sh === 2 && sw === 2 && top === 0 && left === 0 && 2 * ho <= h && 2 * wo <= w;
  const simd = simdKernels();
  if (simple && simd) {
    simd.maxPool2x2Grad(x, g, dx, { n, h, w, c, ho, wo });
    return out;
  }
  if (simd && c % 4 === 0) {
    simd.maxPoolGrad(x, g, dx, { n, h, w, c, ho, wo, fh, fw, sh, sw, top, left });
    return out;
  }
  dx.fill(0);
  if (simple) {
    pool2x2(x, g, dx, n, h, w, c, ho, wo);
    return out;
  }
  const rowX = w * c, imgX = h * rowX, rowY = wo * c, imgY = ho * rowY;
  for (let bi = 0; bi < n; bi++) {
    for (let yr = 0; yr < ho; yr++) {
      const r0 = yr * sh - top;
      const rStart = Math.max(0, r0), rEnd = Math.min(h, r0 + fh);
      for (let yc = 0; yc < wo; yc++) {
        const c0 = yc * sw - left;
        const cStart = Math.max(0, c0), cEnd = Math.min(w, c0 + fw);
        const gBase = bi * imgY + yr * rowY + yc * c;
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity, at = -1;
          for (let r = rStart; r < rEnd; r++) {
            let p = bi * imgX + r * rowX + cStart * c + ch;
            for (let col = cStart; col < cEnd; col++, p += c) {
              if (x[p] > best) { best = x[p]; at = p; }
            }
          }
          if (at >= 0) dx[at] += g[gBase + ch];
        }
      }
    }
  }
  return out;
};

/** The common 2x2/2 pool whose windows all lie inside the input, unrolled (twice as fast as the general loop). */
function pool2x2(x: Float32Array, g: Float32Array, dx: Float32Array, n: number, h: number, w: number, c: number, ho: number, wo: number): void {
  const rowX = w * c;
  let gi = 0;
  for (let b = 0; b < n; b++) {
    for (let yr = 0; yr < ho; yr++) {
      const p0 = (b * h + 2 * yr) * rowX;
      for (let yc = 0; yc < wo; yc++) {
        const pb = p0 + 2 * yc * c;
        for (let ch = 0; ch < c; ch++, gi++) {
          const p00 = pb + ch, p01 = p00 + c, p10 = p00 + rowX, p11 = p10 + c;
          let m = -Infinity, at = -1;
          if (x[p00] > m) { m = x[p00]; at = p00; }
          if (x[p01] > m) { m = x[p01]; at = p01; }
          if (x[p10] > m) { m = x[p10]; at = p10; }
          if (x[p11] > m) { at = p11; }
          if (at >= 0) dx[at] += g[gi];
        }
      }
    }
  }
}
