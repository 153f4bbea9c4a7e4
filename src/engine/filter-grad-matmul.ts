// Conv2DBackpropFilter for convolutions with few input channels (the first
// layer of a grayscale or RGB network) when cellab's SIMD kernel cannot take
// it (output channels not a multiple of 4, or no SIMD module; simd/kernels.c),
// as one matrix product:
//   dW[(i,j,ci), co] = sum_p A[(i,j,ci), p] * dY[p, co],   p = (n, y, x)
// with A the transposed im2col of X (zeros where the window leaves the image),
// built in JavaScript. XNNPACK runs the product (tfjs' BatchMatMul takes the
// fast path: no transposes, batch 1), and dY is used as stored: no
// transposes at all. The convolution form (wasm-kernels.ts) needs both X and
// dY transposed and, with one input channel, leaves XNNPACK's inner loop a
// single channel long: 3x slower here.
import * as tf from '@tensorflow/tfjs';

let scratchBuffer = new Float32Array(0);

/**
 * A zeroed buffer of `size` floats, reused from call to call: a fresh 5 MB
 * array per training step costs more in allocation, page faults and GC than
 * the im2col itself. Its contents are copied into the wasm heap before the
 * next call (tf.tensor copies), so reuse is safe.
 */
function scratch(size: number): Float32Array {
  if (scratchBuffer.length < size) scratchBuffer = new Float32Array(size);
  const a = scratchBuffer.subarray(0, size);
  a.fill(0);
  return a;
}

/** A[(i*kw + j)*ci + c][p] for the convolution `info`, from X's values (a view valid until the next call). */
export function im2colTransposed(x: Float32Array, info: tf.backend_util.Conv2DInfo): Float32Array {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: ho, outWidth: wo } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const { top, left } = info.padInfo;
  const P = n * ho * wo;
  const a = scratch(kh * kw * ci * P);
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      // Output columns whose input column x*sw + j*dw - left lies inside the image.
      const off = j * dw - left;
      const x0 = Math.max(0, Math.ceil(-off / sw)), x1 = Math.min(wo, Math.floor((w - 1 - off) / sw) + 1);
      for (let c = 0; c < ci; c++) {
        const row = ((i * kw + j) * ci + c) * P;
        for (let b = 0; b < n; b++) {
          for (let y = 0; y < ho; y++) {
            const yy = y * sh + i * dh - top;
            if (yy < 0 || yy >= h) continue;
            const o = row + (b * ho + y) * wo;
            const s = ((b * h + yy) * w + off) * ci + c;
            for (let xx = x0; xx < x1; xx++) a[o + xx] = x[s + xx * sw * ci];
          }
        }
      }
    }
  }
  return a;
}

/** dW [kh, kw, Ci, Co] of the convolution `info` from X's values and dY. */
export function filterGradByMatmul(x: Float32Array, dy: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const { filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co } = info;
  const P = dy.shape[0] * dy.shape[1] * dy.shape[2];
  const a = tf.tensor2d(im2colTransposed(x, info), [kh * kw * ci, P]);
  return tf.reshape(tf.matMul(a, tf.reshape(dy, [P, co])), [kh, kw, ci, co]);
}
