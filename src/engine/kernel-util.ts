// Helpers shared by the kernels that cellab registers for the wasm backend.
// These kernels are written with tf ops, so each runs on XNNPACK-backed
// convolutions and element-wise ops instead of tfjs-backend-wasm's scalar loops.
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';

/** What cellab's heap kernels use of tfjs-backend-wasm's backend, for float32 tensors. */
export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array;
}

/** [rows, cols] of a tensor seen as a row-major matrix whose columns are the last axis (channels). */
export function rowsCols(shape: number[]): [number, number] {
  const cols = shape[shape.length - 1];
  return [shape.reduce((p, d) => p * d, 1) / cols, cols];
}

export type Pad4 = [[number, number], [number, number], [number, number], [number, number]];

export interface ConvAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | Pad4;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape?: [number, number, number, number];
  inputShape?: [number, number, number, number];
}

/** Wrap a kernel input as a Tensor without taking ownership of the caller's data. */
export function asTensor(info: TensorInfo, backend: unknown): tf.Tensor {
  // makeTensorFromTensorInfo does not add a reference; disposing the wrapper
  // later would free the caller's buffer unless we add one first.
  (backend as { incRef(dataId: object): void }).incRef(info.dataId);
  return tf.engine().makeTensorFromTensorInfo(info);
}

export function pair(v: number | [number, number] | undefined): [number, number] {
  if (v == null) return [1, 1];
  return typeof v === 'number' ? [v, v] : v;
}

export function checkNHWC(kernel: string, attrs: ConvAttrs): void {
  if (attrs.dataFormat && attrs.dataFormat !== 'NHWC') {
    throw new Error(`${kernel} on wasm supports only NHWC (channels last); got ${attrs.dataFormat}`);
  }
}

/**
 * Fit the two spatial axes of an NHWC tensor to a window that starts `top`
 * rows before row 0 and ends `bottom` rows after the last (negative values
 * cut rows off). Returns the cropped tensor and the non-negative padding that
 * remains, to hand to a convolution as explicit padding (XNNPACK pads on the
 * fly; no padded copy is made).
 */
export function cropForPadding(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): { x: tf.Tensor4D; pad: Pad4 } {
  const [, h, w] = x.shape;
  const ct = Math.max(0, -top), cb = Math.max(0, -bottom), cl = Math.max(0, -left), cr = Math.max(0, -right);
  const y = ct || cb || cl || cr ? tf.slice(x, [0, ct, cl, 0], [-1, h - ct - cb, w - cl - cr, -1]) : x;
  return { x: y, pad: [[0, 0], [Math.max(0, top), Math.max(0, bottom)], [Math.max(0, left), Math.max(0, right)], [0, 0]] };
}

/** Pad (positive) or crop (negative) the two spatial axes of an NHWC tensor (a copy). */
export function padOrCrop(x: tf.Tensor4D, top: number, bottom: number, left: number, right: number): tf.Tensor4D {
  const c = cropForPadding(x, top, bottom, left, right);
  const [, [pt, pb], [pl, pr]] = c.pad;
  return pt || pb || pl || pr ? tf.pad(c.x, c.pad) : c.x;
}
