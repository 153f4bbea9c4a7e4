// Gradient kernels for the wasm backend. tfjs-backend-wasm 4.22 lacks
// Conv2DBackpropFilter and both depthwise gradients (without them no CNN can
// train on wasm), and its Conv2DBackpropInput and MaxPoolGrad are scalar
// loops, as is its Tile. The conv filter gradient runs in cellab's SIMD
// module (simd/kernels.c) where it can; the other convolution gradients are
// rewritten as forward convolutions, which wasm runs through XNNPACK;
// MaxPoolGrad and Tile are SIMD or JavaScript passes over the heap
// (max-pool-grad.ts, tile.ts).
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { asTensor, checkNHWC, cropForPadding, pair, type ConvAttrs, type WasmHeapBackend } from './kernel-util';
import { transposedConv } from './transposed-conv';
import { maxPoolGrad } from './max-pool-grad';
import { tile } from './tile';
import { filterGradByMatmul } from './filter-grad-matmul';
import { simdKernels } from './simd-kernels';

/**
 * The input window a filter gradient needs: rows from -padTop so that a
 * stride-s sweep of outH taps with dilation d over kh positions fits exactly.
 * Cropped where the window is inside x; the rest is explicit padding.
 */
function filterGradWindow(x: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): ReturnType<typeof cropForPadding> {
  const needH = (info.filterHeight - 1) * info.dilationHeight + (info.outHeight - 1) * info.strideHeight + 1;
  const needW = (info.filterWidth - 1) * info.dilationWidth + (info.outWidth - 1) * info.strideWidth + 1;
  const { top, left } = info.padInfo;
  return cropForPadding(x, top, needH - top - info.inHeight, left, needW - left - info.inWidth);
}

/** Up to this many input channels, the filter gradient is one matrix product (filter-grad-matmul.ts) when SIMD cannot take it. */
const FILTER_GRAD_MATMUL_MAX_CHANNELS = 3;

/**
 * dW[i,j,ci,co] = sum_{n,y,x} X[n, y*s + i*d - pt, x*s + j*d - pl, ci] * dY[n,y,x,co]
 * = a convolution of X (ci as batch, n as channels) with dY (n as in-channels),
 * stride d and dilation s (strides and dilations swap roles).
 */
export const conv2DBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const a = attrs as unknown as ConvAttrs;
  checkNHWC('Conv2DBackpropFilter', a);
  const filterShape = a.filterShape!;
  return tf.tidy(() => {
    const x = asTensor(inputs.x as TensorInfo, backend) as tf.Tensor4D;
    const dy = asTensor(inputs.dy as TensorInfo, backend) as tf.Tensor4D;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape, filterShape, a.strides, pair(a.dilations), a.pad as never, a.dimRoundingMode, false, 'channelsLast');
    const simd = simdKernels();
    if (simd && info.outChannels % 4 === 0) {
      // One SIMD pass over X and dY as stored (simd/kernels.c), on every thread: no
      // transposes, no per-call packing of dY as XNNPACK weights, a register-blocked tile
      // (~45 GFLOP/s per thread); faster than the convolution form below at every layer of
      // resnet18, 3x on a first layer. It writes straight into the output tensor on the heap.
      const heap = backend as unknown as WasmHeapBackend;
      const out = heap.makeOutput(filterShape, 'float32');
      simd.convFilterGrad(heap.typedArrayFromHeap(inputs.x as TensorInfo), heap.typedArrayFromHeap(inputs.dy as TensorInfo), info,
        heap.typedArrayFromHeap(out));
      return tf.engine().makeTensorFromTensorInfo(out);
    }
    if (info.inChannels <= FILTER_GRAD_MATMUL_MAX_CHANNELS) return filterGradByMatmul(x.dataSync() as Float32Array, dy, info);
    const win = filterGradWindow(x, info);
    const xT = tf.transpose(win.x, [3, 1, 2, 0]);     // [Ci, H', W', N]
    const dyT = tf.transpose(dy, [1, 2, 0, 3]);       // [Ho, Wo, N, Co]
    const out = tf.conv2d(xT as tf.Tensor4D, dyT as tf.Tensor4D,
      [info.dilationHeight, info.dilationWidth], win.pad, 'NHWC', [info.strideHeight, info.strideWidth]);
    return tf.transpose(out, [1, 2, 0, 3]);           // [kh, kw, Ci, Co]
  });
};

/**
 * The taps `rows` x `cols` of a [kh, kw, Ci, Co] filter (its values `src`),
 * in that order: as [rows, cols, Co, Ci] (`swap`: a convolution's filter
 * with inputs and outputs exchanged) or as a depthwise filter
 * [rows, cols, Ci*Co, 1]. Built in JavaScript: filters are small, and
 * tfjs-backend-wasm's Reverse and GatherV2 are scalar loops (9 ms for a
 * 3x3x128x128 filter, more than the convolution that uses it).
 */
function filterTaps(src: Float32Array, shape: number[], rows: number[], cols: number[], swap: boolean): tf.Tensor4D {
  const [, kw, ci, co] = shape;
  const out = new Float32Array(rows.length * cols.length * ci * co);
  let k = 0;
  for (const r of rows) {
    for (const c of cols) {
      const base = (r * kw + c) * ci * co;
      if (!swap) {
        out.set(src.subarray(base, base + ci * co), k);
        k += ci * co;
        continue;
      }
      for (let o = 0; o < co; o++) for (let i = 0; i < ci; i++) out[k++] = src[base + i * co + o];
    }
  }
  return tf.tensor4d(out, swap ? [rows.length, cols.length, co, ci] : [rows.length, cols.length, ci * co, 1]);
}

/**
 * Input gradient of a convolution (replaces tfjs-backend-wasm's scalar loop):
 * stride-1 convolutions of dY with the flipped, in/out-swapped filter, one
 * per stride phase (see transposed-conv.ts).
 */
export const conv2DBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const a = attrs as unknown as ConvAttrs;
  checkNHWC('Conv2DBackpropInput', a);
  const inputShape = a.inputShape!;
  return tf.tidy(() => {
    const dy = asTensor(inputs.dy as TensorInfo, backend) as tf.Tensor4D;
    const filter = asTensor(inputs.filter as TensorInfo, backend) as tf.Tensor4D;
    const info = tf.backend_util.computeConv2DInfo(
      inputShape, filter.shape, a.strides, pair(a.dilations), a.pad as never, a.dimRoundingMode, false, 'channelsLast');
    const simd = simdKernels();
    if (simd && info.inChannels % 4 === 0) {
      // One SIMD gather pass (simd/kernels.c) on every thread that skips the taps falling on
      // padding: strided, it replaces a convolution per stride phase (6x faster); at stride 1
      // it beats XNNPACK's convolution over the padded dY (padding is a large part of the
      // small maps' work). It writes straight into the output tensor on the heap.
      const heap = backend as unknown as WasmHeapBackend;
      const out = heap.makeOutput(inputShape, 'float32');
      simd.convInputGrad(heap.typedArrayFromHeap(inputs.dy as TensorInfo), heap.typedArrayFromHeap(inputs.filter as TensorInfo), info,
        heap.typedArrayFromHeap(out));
      return tf.engine().makeTensorFromTensorInfo(out);
    }
    const src = filter.dataSync() as Float32Array;
    return transposedConv(dy, {
      inShape: inputShape, kernel: [info.filterHeight, info.filterWidth], strides: [info.strideHeight, info.strideWidth],
      dilations: [info.dilationHeight, info.dilationWidth], padTop: info.padInfo.top, padLeft: info.padInfo.left,
      phase: (d, pad, rows, cols, dil) => tf.conv2d(d, filterTaps(src, filter.shape, rows, cols, true), 1, pad, 'NHWC', dil),
    });
  });
};

/**
 * Depthwise filter gradient: with the batch folded into channels, X is a
 * depthwise input [1, H, W, N*C] and dY a depthwise filter [Ho, Wo, N*C, M];
 * the output [1, kh, kw, N*C*M] summed over N is dW.
 */
export const depthwiseConv2dBackpropFilter: KernelFunc = ({ inputs, backend, attrs }) => {
  const a = attrs as unknown as ConvAttrs;
  checkNHWC('DepthwiseConv2dNativeBackpropFilter', a);
  const filterShape = a.filterShape!;
  return tf.tidy(() => {
    const x = asTensor(inputs.x as TensorInfo, backend) as tf.Tensor4D;
    const dy = asTensor(inputs.dy as TensorInfo, backend) as tf.Tensor4D;
    const [n, , , c] = x.shape;
    const [kh, kw, , m] = filterShape;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape, filterShape, a.strides, pair(a.dilations), a.pad as never, a.dimRoundingMode, true, 'channelsLast');
    const win = filterGradWindow(x, info);
    const [, hw, ww] = win.x.shape;
    const xF = tf.reshape(tf.transpose(win.x, [1, 2, 0, 3]), [1, hw, ww, n * c]);
    const dyF = tf.reshape(tf.transpose(tf.reshape(dy, [n, info.outHeight, info.outWidth, c, m]), [1, 2, 0, 3, 4]),
      [info.outHeight, info.outWidth, n * c, m]);
    const out = tf.depthwiseConv2d(xF as tf.Tensor4D, dyF as tf.Tensor4D,
      [info.dilationHeight, info.dilationWidth], win.pad, 'NHWC', [info.strideHeight, info.strideWidth]);
    return tf.sum(tf.reshape(out, [kh, kw, n, c, m]), 2);
  });
};

/**
 * Depthwise input gradient: per stride phase, a depthwise convolution of dY
 * (C*M channels) with the flipped filter taps, then the M multiplier
 * channels of each input channel are summed.
 */
export const depthwiseConv2dBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const a = attrs as unknown as ConvAttrs;
  checkNHWC('DepthwiseConv2dNativeBackpropInput', a);
  const inputShape = a.inputShape!;
  return tf.tidy(() => {
    const dy = asTensor(inputs.dy as TensorInfo, backend) as tf.Tensor4D;
    const filter = asTensor(inputs.filter as TensorInfo, backend) as tf.Tensor4D;
    const [kh, kw, c, m] = filter.shape;
    const info = tf.backend_util.computeConv2DInfo(
      inputShape, filter.shape, a.strides, pair(a.dilations), a.pad as never, a.dimRoundingMode, true, 'channelsLast');
    const src = filter.dataSync() as Float32Array;
    return transposedConv(dy, {
      inShape: inputShape, kernel: [kh, kw], strides: [info.strideHeight, info.strideWidth],
      dilations: [info.dilationHeight, info.dilationWidth], padTop: info.padInfo.top, padLeft: info.padInfo.left,
      phase: (d, pad, rows, cols, dil) => {
        const out = tf.depthwiseConv2d(d, filterTaps(src, filter.shape, rows, cols, false), 1, pad, 'NHWC', dil);
        if (m === 1) return out;
        const [nn, hh, ww] = out.shape;
        return tf.sum(tf.reshape(out, [nn, hh, ww, c, m]), 4) as tf.Tensor4D;
      },
    });
  });
};

/**
 * Identity sharing storage, as the cpu backend's does. tfjs' engine clones
 * (Identity) every tensor it saves for the backward pass; wasm's own Identity
 * copies the data, ~460 full copies of weights and activations per ResNet-18
 * step. Tensors are immutable, and wasm frees shared storage by reference
 * count (its Reshape already shares), so a shared Identity is safe.
 */
const sharedIdentity: KernelFunc = ({ inputs, backend }) => {
  const x = inputs.x as TensorInfo;
  if (x.dtype === 'string') throw new Error('Identity of a string tensor is not supported on wasm');
  (backend as unknown as { incRef(dataId: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

/** Kernels wasm lacks, and wasm kernels used in training that are scalar loops or copies (replaced). */
export const wasmGradientKernels: KernelConfig[] = [
  { kernelName: 'Identity', backendName: 'wasm', kernelFunc: sharedIdentity },
  { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilter },
  { kernelName: 'Conv2DBackpropInput', backendName: 'wasm', kernelFunc: conv2DBackpropInput },
  { kernelName: 'DepthwiseConv2dNativeBackpropFilter', backendName: 'wasm', kernelFunc: depthwiseConv2dBackpropFilter },
  { kernelName: 'DepthwiseConv2dNativeBackpropInput', backendName: 'wasm', kernelFunc: depthwiseConv2dBackpropInput },
  { kernelName: 'MaxPoolGrad', backendName: 'wasm', kernelFunc: maxPoolGrad },
  { kernelName: 'Tile', backendName: 'wasm', kernelFunc: tile },
];

/**
 * Register cellab's wasm gradient kernels, replacing any registered before
 * (tfjs-backend-wasm's own Conv2DBackpropInput is a scalar loop). Idempotent.
 * Returns the kernels that were not cellab's before the call.
 */
export function registerWasmGradientKernels(): string[] {
  const added: string[] = [];
  for (const k of wasmGradientKernels) {
    const current = tf.getKernel(k.kernelName, 'wasm');
    if (current?.kernelFunc === k.kernelFunc) continue;
    if (current) tf.unregisterKernel(k.kernelName, 'wasm');
    tf.registerKernel(k);
    added.push(k.kernelName);
  }
  return added;
}
