// Gradient kernels that @tensorflow/tfjs-backend-wasm 4.22 does not register
// (Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter,
// DepthwiseConv2dNativeBackpropInput). Without them no CNN can train on wasm.
// Each is rewritten as forward convolutions, which wasm runs through XNNPACK.
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs';

type Pad4 = [[number, number], [number, number], [number, number], [number, number]];

interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | Pad4;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape?: [number, number, number, number];
  inputShape?: [number, number, number, number];
}

/** Wrap a kernel input as a Tensor without taking ownership of the caller's data. */
function asTensor(info: TensorInfo, backend: { incRef(dataId: object): void }): tf.Tensor {
  // makeTensorFromTensorInfo does not add a reference; disposing the wrapper
  // later would free the caller's buffer unless we add one first.
  backend.incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info);
}

function pair(v: number | [number, number] | undefined): [number, number] {
  if (v == null) return [1, 1];
  return typeof v === 'number' ? [v, v] : v;
}

function checkNHWC(kernel: string, attrs: ConvAttrs): void {
  if (attrs.dataFormat && attrs.dataFormat !== 'NHWC') {
    throw new Error(`${kernel} on wasm supports only NHWC (channels last); got ${attrs.dataFormat}`);
  }
}

/**
 * Pad (positive) or crop (negative) the two spatial axes of an NHWC tensor.
 * Explicit convolution padding must be non-negative, so excess rows are sliced.
 */
function padOrCrop(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const [, h, w] = x.shape;
  const cropTop = Math.max(0, -top), cropBottom = Math.max(0, -bottom);
  const cropLeft = Math.max(0, -left), cropRight = Math.max(0, -right);
  let y = x;
  if (cropTop || cropBottom || cropLeft || cropRight) {
    y = tf.slice(x, [0, cropTop, cropLeft, 0], [-1, h - cropTop - cropBottom, w - cropLeft - cropRight, -1]);
  }
  const pt = Math.max(0, top), pb = Math.max(0, bottom), pl = Math.max(0, left), pr = Math.max(0, right);
  if (pt || pb || pl || pr) y = tf.pad(y, [[0, 0], [pt, pb], [pl, pr], [0, 0]]);
  return y;
}

/**
 * The input window a filter gradient needs: rows padTop.. so that a stride-s
 * sweep of (outH) taps with dilation d over kh positions fits exactly.
 */
function filterGradWindow(x: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const needH = (info.filterHeight - 1) * info.dilationHeight + (info.outHeight - 1) * info.strideHeight + 1;
  const needW = (info.filterWidth - 1) * info.dilationWidth + (info.outWidth - 1) * info.strideWidth + 1;
  const { top, left } = info.padInfo;
  const bottom = needH - top - info.inHeight;
  const right = needW - left - info.inWidth;
  return padOrCrop(x, top, bottom, left, right);
}

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
    const x = asTensor(inputs.x as TensorInfo, backend as never) as tf.Tensor4D;
    const dy = asTensor(inputs.dy as TensorInfo, backend as never) as tf.Tensor4D;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape, filterShape, a.strides, pair(a.dilations), a.pad as never, a.dimRoundingMode, false, 'channelsLast');
    const win = filterGradWindow(x, info);
    const xT = tf.transpose(win, [3, 1, 2, 0]);       // [Ci, H', W', N]
    const dyT = tf.transpose(dy, [1, 2, 0, 3]);       // [Ho, Wo, N, Co]
    const out = tf.conv2d(xT as tf.Tensor4D, dyT as tf.Tensor4D,
      [info.dilationHeight, info.dilationWidth], 'valid', 'NHWC', [info.strideHeight, info.strideWidth]);
    return tf.transpose(out, [1, 2, 0, 3]);           // [kh, kw, Ci, Co]
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
    const x = asTensor(inputs.x as TensorInfo, backend as never) as tf.Tensor4D;
    const dy = asTensor(inputs.dy as TensorInfo, backend as never) as tf.Tensor4D;
    const [n, , , c] = x.shape;
    const [kh, kw, , m] = filterShape;
    const info = tf.backend_util.computeConv2DInfo(
      x.shape, filterShape, a.strides, pair(a.dilations), a.pad as never, a.dimRoundingMode, true, 'channelsLast');
    const win = filterGradWindow(x, info);
    const [, hw, ww] = win.shape;
    const xF = tf.reshape(tf.transpose(win, [1, 2, 0, 3]), [1, hw, ww, n * c]);
    const dyF = tf.reshape(tf.transpose(tf.reshape(dy, [n, info.outHeight, info.outWidth, c, m]), [1, 2, 0, 3, 4]),
      [info.outHeight, info.outWidth, n * c, m]);
    const out = tf.depthwiseConv2d(xF as tf.Tensor4D, dyF as tf.Tensor4D,
      [info.dilationHeight, info.dilationWidth], 'valid', 'NHWC', [info.strideHeight, info.strideWidth]);
    return tf.sum(tf.reshape(out, [kh, kw, n, c, m]), 2);
  });
};

/**
 * Depthwise input gradient: a transposed depthwise convolution. dY is dilated
 * by the stride (zeros between taps), padded by (effective kernel - 1 - pad),
 * convolved with the spatially flipped filter, then the M multiplier channels
 * of each input channel are summed.
 */
export const depthwiseConv2dBackpropInput: KernelFunc = ({ inputs, backend, attrs }) => {
  const a = attrs as unknown as ConvAttrs;
  checkNHWC('DepthwiseConv2dNativeBackpropInput', a);
  const inputShape = a.inputShape!;
  return tf.tidy(() => {
    const dy = asTensor(inputs.dy as TensorInfo, backend as never) as tf.Tensor4D;
    const filter = asTensor(inputs.filter as TensorInfo, backend as never) as tf.Tensor4D;
    const [kh, kw, c, m] = filter.shape;
    const info = tf.backend_util.computeConv2DInfo(
      inputShape, filter.shape, a.strides, pair(a.dilations), a.pad as never, a.dimRoundingMode, true, 'channelsLast');
    const [n, h, w] = inputShape;
    const sh = info.strideHeight, sw = info.strideWidth;
    let g: tf.Tensor4D = dy;
    if (sh > 1 || sw > 1) {
      // Insert (s-1) zeros after every tap: [N,Ho,1,Wo,1,C] -> pad -> [N,Ho*s,Wo*s,C].
      const ho = info.outHeight, wo = info.outWidth, ch = c * m;
      const e = tf.reshape(dy, [n, ho, 1, wo, 1, ch]);
      const p = tf.pad(e, [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]);
      g = tf.reshape(p, [n, ho * sh, wo * sw, ch]);
    }
    const ekh = info.effectiveFilterHeight, ekw = info.effectiveFilterWidth;
    const top = ekh - 1 - info.padInfo.top;
    const left = ekw - 1 - info.padInfo.left;
    // Rows needed: h + ekh - 1 in total for a valid convolution to give h rows.
    const bottom = h + ekh - 1 - top - g.shape[1];
    const right = w + ekw - 1 - left - g.shape[2];
    g = padOrCrop(g, top, bottom, left, right);
    // Flip spatially, and lay [kh,kw,C,M] out as a depthwise filter over C*M channels.
    const flipped = tf.reverse(filter, [0, 1]);
    const fT = tf.reshape(flipped, [kh, kw, c * m, 1]);
    const out = tf.depthwiseConv2d(g, fT as tf.Tensor4D, 1, 'valid', 'NHWC', [info.dilationHeight, info.dilationWidth]);
    return tf.sum(tf.reshape(out, [n, h, w, c, m]), 4);
  });
};

export const wasmGradientKernels: KernelConfig[] = [
  { kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2DBackpropFilter },
  { kernelName: 'DepthwiseConv2dNativeBackpropFilter', backendName: 'wasm', kernelFunc: depthwiseConv2dBackpropFilter },
  { kernelName: 'DepthwiseConv2dNativeBackpropInput', backendName: 'wasm', kernelFunc: depthwiseConv2dBackpropInput },
];

/** Register the missing gradient kernels for wasm; already-present ones are left alone. */
export function registerWasmGradientKernels(): string[] {
  const added: string[] = [];
  for (const k of wasmGradientKernels) {
    if (tf.getKernel(k.kernelName, 'wasm') == null) {
      tf.registerKernel(k);
      added.push(k.kernelName);
    }
  }
  return added;
}

export type { NamedAttrMap };
