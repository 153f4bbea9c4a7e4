// Conv2DBackpropFilter on webgpu as one matrix product:
//   dW[(i,j,ci), co] = sum_p A[p, (i,j,ci)] * dY[p, co],   p = (n, y, x)
// with A the im2col of X (zeros where the window leaves the image), built on
// the device by one shader, and the product run by tfjs' BatchMatMul
// (transposed A: no transposes are materialised).
//
// tfjs-backend-webgpu's own kernel gives each filter element one thread that
// walks the whole batch (n * h * w products, one at a time, two reads each):
// on lavapipe that was 42% of a small CNN's training step at 64 px, twice the
// forward convolution doing the same number of products, and on a GPU it
// leaves few threads with long serial loops. The product is tfjs' tuned
// matmul (tiled, or split along p when the filter is small): 2x faster on
// lavapipe for the quickstart's 3x3 convolutions with 32 and 64 input channels.
//
// A is (n*ho*wo) x (kh*kw*ci) floats; where that exceeds `budget`, the batch
// is taken in chunks whose products are summed. A filter gradient whose
// single-image A exceeds it, or NCHW data, goes to the stock kernel. (The
// kernel has no dilations: tfjs' convolution gradients require 1.)
import * as tf from '@tensorflow/tfjs';
import { PerElementProgram } from './webgpu-program';

/** Up to this many floats of im2col at once (64 MiB; WebGPU's default binding limit is 128 MiB). */
export const IM2COL_BUDGET = 16 * 1024 * 1024;

class Im2ColProgram extends PerElementProgram {
  readonly variableNames = ['x'];
  readonly uniforms = 'pads : vec2<i32>, strides : vec2<i32>, dilations : vec2<i32>, filterDims : vec2<i32>, inDims : vec2<i32>, outDims : vec2<i32>, inChannels : i32, batchStart : i32,';
  shaderKey = 'cellab_im2col';

  /** Output [images * outH * outW, kh * kw * inChannels]. */
  constructor(rows: number, cols: number) {
    super([rows, cols]);
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let coords = getCoordsFromIndex(index);
          let perImage = uniforms.outDims.x * uniforms.outDims.y;
          let b = coords[0] / perImage;
          let rest = coords[0] - b * perImage;
          let yo = rest / uniforms.outDims.y;
          let xo = rest - yo * uniforms.outDims.y;
          let ij = coords[1] / uniforms.inChannels;
          let c = coords[1] - ij * uniforms.inChannels;
          let i = ij / uniforms.filterDims.y;
          let j = ij - i * uniforms.filterDims.y;
          let r = yo * uniforms.strides.x + i * uniforms.dilations.x - uniforms.pads.x;
          let q = xo * uniforms.strides.y + j * uniforms.dilations.y - uniforms.pads.y;
          var v = 0.0;
          if (r >= 0 && r < uniforms.inDims.x && q >= 0 && q < uniforms.inDims.y) {
            v = getX(uniforms.batchStart + b, r, q, c);
          }
          setOutputAtIndex(index, v);
        }
      }
    `;
  }
}

interface Backend {
  runWebGPUProgram(program: object, inputs: tf.TensorInfo[], dtype: tf.DataType, uniforms: { type: string; data: number[] }[]): tf.TensorInfo;
  disposeData(dataId: object): void;
}

type Attrs = { strides: [number, number] | number; pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding; dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil'; filterShape: [number, number, number, number] };

/** A Conv2DBackpropFilter kernel for webgpu that falls back to `stock` where the matmul form does not apply. */
export function filterGradByMatMul(stock: tf.KernelFunc, budget = IM2COL_BUDGET): tf.KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const a = args.attrs as unknown as Attrs;
    const backend = args.backend as unknown as Backend;
    if (a.dataFormat === 'NCHW' || x.dtype !== 'float32') return stock(args);
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides,
      1, a.pad, a.dimRoundingMode, false, 'channelsLast');
    const { batchSize: n, outHeight: ho, outWidth: wo, filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co } = info;
    const K = kh * kw * ci, perImage = ho * wo;
    const images = Math.min(n, Math.floor(budget / (perImage * K)));
    if (images < 1) return stock(args);
    const run = (name: string, inputs: Record<string, tf.TensorInfo>, attrs: Record<string, unknown>): tf.TensorInfo =>
      tf.getKernel(name, 'webgpu')!.kernelFunc({ inputs: inputs as unknown as tf.NamedTensorInfoMap, backend: args.backend, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
    const temps: tf.TensorInfo[] = [];
    let sum: tf.TensorInfo | undefined;
    for (let start = 0; start < n; start += images) {
      const m = Math.min(images, n - start);
      const cols = backend.runWebGPUProgram(new Im2ColProgram(m * perImage, K), [x], 'float32', [
        { type: 'int32', data: [info.padInfo.top, info.padInfo.left] },
        { type: 'int32', data: [info.strideHeight, info.strideWidth] },
        { type: 'int32', data: [info.dilationHeight, info.dilationWidth] },
        { type: 'int32', data: [kh, kw] },
        { type: 'int32', data: [info.inHeight, info.inWidth] },
        { type: 'int32', data: [ho, wo] },
        { type: 'int32', data: [ci] },
        { type: 'int32', data: [start] },
      ]);
      const dyPart = m === n ? dy : run('Slice', { x: dy }, { begin: [start, 0, 0, 0], size: [m, ho, wo, co] });
      const A = run('Reshape', { x: cols }, { shape: [1, m * perImage, K] });
      const B = run('Reshape', { x: dyPart }, { shape: [1, m * perImage, co] });
      const part = run('BatchMatMul', { a: A, b: B }, { transposeA: true, transposeB: false });
      temps.push(cols, A, B);
      if (dyPart !== dy) temps.push(dyPart);
      if (sum) {
        const next = run('Add', { a: sum, b: part }, {});
        temps.push(sum, part);
        sum = next;
      } else {
        sum = part;
      }
    }
    const out = run('Reshape', { x: sum! }, { shape: [kh, kw, ci, co] });
    temps.push(sum!);
    for (const t of temps) backend.disposeData(t.dataId);
    return out;
  };
}
