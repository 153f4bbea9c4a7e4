// tfjs-backend-wasm 4.22 sends a BatchMatMul to XNNPACK only when neither
// operand is transposed and both have batch 1; anything else runs a scalar
// loop 4-8x slower. Training hits that loop on every dense layer: the
// gradients of y = x W are dW = x^T dy and dx = dy W^T. In ConvNeXt (whose
// pointwise MLPs are dense layers on every pixel) those two products took 79%
// of a training step. This wrapper materialises the transposed operand (one
// Transpose, fast on wasm) and folds a batch of left operands sharing one right
// operand into rows, so the product takes XNNPACK's path.
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { asTensor } from './kernel-util';

interface MatMulAttrs { transposeA: boolean; transposeB: boolean }

const size = (dims: number[]) => dims.reduce((p, d) => p * d, 1);

function fastPath(original: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const a = inputs.a as TensorInfo, b = inputs.b as TensorInfo;
    const { transposeA, transposeB } = attrs as unknown as MatMulAttrs;
    const batchA = size(a.shape.slice(0, -2)), batchB = size(b.shape.slice(0, -2));
    // Already fast, another dtype (the original explains), or batched on both sides.
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || batchB !== 1 || (batchA !== 1 && transposeA)) return original(args);
    if (!transposeA && !transposeB && batchA === 1) return original(args);
    const ra = a.shape.length, rb = b.shape.length;
    const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
    const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
    const outShape = [...tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)), m, n];
    const keep: tf.Tensor[] = [];
    try {
      const a2 = tf.tidy(() => {
        const t = asTensor(a, backend).reshape(transposeA ? [a.shape[ra - 2], m] : [batchA * m, a.shape[ra - 1]]);
        return transposeA ? t.transpose() : t;
      });
      const b2 = tf.tidy(() => {
        const t = asTensor(b, backend).reshape([b.shape[rb - 2], b.shape[rb - 1]]);
        return transposeB ? t.transpose() : t;
      });
      keep.push(a2, b2);
      if (a2.shape[1] !== b2.shape[0]) return original(args);   // the original's shape error
      const out = original({ inputs: { a: a2, b: b2 }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } }) as TensorInfo;
      return { ...out, shape: outShape };
    } finally {
      tf.dispose(keep);
    }
  };
}

const ours = new WeakSet<KernelFunc>();

/** Wrap wasm's BatchMatMul with the fast path (after the wasm backend has started). Idempotent. */
export function registerMatMulFastPath(): boolean {
  const current = tf.getKernel('BatchMatMul', 'wasm');
  if (!current || ours.has(current.kernelFunc)) return false;
  const kernelFunc = fastPath(current.kernelFunc);
  ours.add(kernelFunc);
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ ...current, kernelFunc });
  return true;
}

/** Whether wasm's BatchMatMul is the wrapped one. */
export function matMulFastPathInstalled(): boolean {
  const current = tf.getKernel('BatchMatMul', 'wasm');
  return current != null && ours.has(current.kernelFunc);
}
