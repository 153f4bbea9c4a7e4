// The ReLU gradient as one pass: tfjs-core's is dy * cast(step(x)), three
// kernels and three passes over the activations per ReLU and step (17 ReLUs in
// a resnet18). On wasm with cellab's SIMD kernels: relu_grad in simd/kernels.c,
// over the kernel pool's threads; elsewhere tfjs' formula. Same values: dy
// where x > 0, else 0 (tfjs' step(NaN) is NaN, which gives NaN; here 0).
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { simdKernels } from './simd-kernels';
import type { WasmHeapBackend } from './kernel-util';

const GRAD = 'CellabReluGrad';

const reluGradKernel: KernelFunc = ({ inputs, backend }) => {
  const b = backend as unknown as WasmHeapBackend;
  const { dy, x } = inputs as { dy: TensorInfo; x: TensorInfo };
  const dx = b.makeOutput(x.shape, 'float32');
  simdKernels()!.reluGrad(b.typedArrayFromHeap(dy), b.typedArrayFromHeap(x), b.typedArrayFromHeap(dx));
  return dx;
};

const kernel: KernelConfig = { kernelName: GRAD, backendName: 'wasm', kernelFunc: reluGradKernel };

export const reluGradConfig: GradConfig = {
  kernelName: 'Relu',
  inputsToSave: ['x'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
    const [x] = saved;
    const g = dy as tf.Tensor;
    const fused = tf.getBackend() === 'wasm' && x.dtype === 'float32' && g.dtype === 'float32' && simdKernels() != null;
    return { x: () => (fused ? tf.engine().runKernel(GRAD, { dy: g, x }) as tf.Tensor : tf.mul(g, tf.cast(tf.step(x), 'float32'))) };
  },
};

/** Register the kernel (wasm) and replace tfjs-core's ReLU gradient (all backends; others keep its formula). Idempotent. */
export function registerReluGradient(): void {
  if (!tf.getKernel(GRAD, 'wasm')) tf.registerKernel(kernel);
  tf.registerGradient(reluGradConfig);
}
