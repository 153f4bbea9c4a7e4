// relu(x + bias) (bias per channel, the last axis) as one op: after a
// convolution with a bias and a ReLU, tfjs runs Add and Relu forward and
// Step, Cast, Multiply and Sum backward, six passes over the activations
// (~17 ms of a 64x64 small-CNN step on wasm). On wasm with cellab's SIMD
// kernels: one pass each way (simd/kernels.c); elsewhere the same math in tf ops.
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { simdKernels } from './simd-kernels';
import { type WasmHeapBackend, rowsCols } from './kernel-util';

const FORWARD = 'CellabBiasRelu';
const GRAD = 'CellabBiasReluGrad';

const forward: KernelFunc = ({ inputs, backend }) => {
  const b = backend as unknown as WasmHeapBackend;
  const { x, bias } = inputs as { x: TensorInfo; bias: TensorInfo };
  const [rows, cols] = rowsCols(x.shape);
  const y = b.makeOutput(x.shape, 'float32');
  simdKernels()!.biasRelu(b.typedArrayFromHeap(x), b.typedArrayFromHeap(bias), b.typedArrayFromHeap(y), rows, cols);
  return y;
};

const grad: KernelFunc = ({ inputs, backend }) => {
  const b = backend as unknown as WasmHeapBackend;
  const { dy, y } = inputs as { dy: TensorInfo; y: TensorInfo };
  const [rows, cols] = rowsCols(y.shape);
  const dx = b.makeOutput(y.shape, 'float32');
  const db = b.makeOutput([cols], 'float32');
  simdKernels()!.biasReluGrad(b.typedArrayFromHeap(dy), b.typedArrayFromHeap(y), b.typedArrayFromHeap(dx), b.typedArrayFromHeap(db), rows, cols);
  return [dx, db];
};

export const biasReluKernels: KernelConfig[] = [
  { kernelName: FORWARD, backendName: 'wasm', kernelFunc: forward },
  { kernelName: GRAD, backendName: 'wasm', kernelFunc: grad },
];

/** Register the wasm kernels (used only when the SIMD kernels load). Idempotent. */
export function registerBiasReluKernels(): void {
  for (const k of biasReluKernels) if (!tf.getKernel(k.kernelName, 'wasm')) tf.registerKernel(k);
}

/** relu(x + bias), differentiable in x and bias. */
export function biasRelu(x: tf.Tensor, bias: tf.Tensor1D): tf.Tensor {
  const fused = x.dtype === 'float32' && tf.getKernel(FORWARD, tf.getBackend()) != null && simdKernels() != null;
  if (!fused) return tf.relu(tf.add(x, bias));
  const op = tf.customGrad((xx: tf.Tensor | tf.GradSaveFunc, bb: tf.Tensor | tf.GradSaveFunc, save: tf.Tensor | tf.GradSaveFunc) => {
    const y = tf.engine().runKernel(FORWARD, { x: xx as tf.Tensor, bias: bb as tf.Tensor }) as tf.Tensor;
    (save as tf.GradSaveFunc)([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.engine().runKernel(GRAD, { dy, y: saved[0] }) as tf.Tensor[],
    };
  });
  return op(x, bias);
}
