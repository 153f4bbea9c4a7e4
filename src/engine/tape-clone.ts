// Saving tensors for the backward pass without a kernel call per tensor. While
// a gradient is recorded, tfjs-core's engine saves the inputs and outputs every
// gradient needs as clones: one Identity kernel (25-40 us of engine overhead on
// wasm) and one tape node each, ~560 per resnet18 training step, ~1/10 of the
// step. The tape node links the clone to its source only so that a gradient
// of a gradient can flow through saved tensors; with a single level of
// recording (gradientDepth 1) nothing can, so there the clone is made
// directly: the same storage with one more reference, as wasm's Identity does.
// Nested gradients, string and complex tensors keep tfjs' own clone. A tfjs
// whose engine lacks these internals keeps its own clone throughout.
import * as tf from '@tensorflow/tfjs';

interface EngineInternals {
  clone(x: tf.Tensor): tf.Tensor;
  makeTensorFromTensorInfo(info: { dataId: object; shape: number[]; dtype: tf.DataType }, backend?: unknown): tf.Tensor;
  backend: { incRef(dataId: object): void };
  state: { gradientDepth: number; tensorInfo: { get(dataId: object): { backend: { incRef(dataId: object): void } } | undefined } };
}

const PATCHED = Symbol.for('cellab.tapeClone');

/**
 * A new tensor on x's storage (one more reference), without a kernel call or a
 * tape node: what wasm's Identity and Reshape kernels return, minus the
 * engine's per-call overhead. Only where no gradient can flow through the
 * result (the caller checks); `shape` reinterprets it (same size). undefined
 * when this tfjs or backend lacks the internals, or for string and complex
 * tensors: then the caller uses the op.
 */
export function shareStorage(x: tf.Tensor, engine = tf.engine() as unknown as EngineInternals, shape: number[] = x.shape): tf.Tensor | undefined {
  if (x.dtype === 'string' || x.dtype === 'complex64' || typeof engine.makeTensorFromTensorInfo !== 'function') return undefined;
  const backend = engine.state?.tensorInfo?.get(x.dataId)?.backend;
  if (!backend || typeof backend.incRef !== 'function') return undefined;
  backend.incRef(x.dataId);
  return engine.makeTensorFromTensorInfo({ dataId: x.dataId, shape, dtype: x.dtype }, backend);
}

/** True while no tape records (the engine's isTapeOn() is false): no gradient can flow through what is made now. */
export function tapeOff(): boolean {
  const state = (tf.engine() as unknown as { state?: { gradientDepth?: number; kernelDepth?: number } }).state;
  return state?.gradientDepth === 0 || (state?.kernelDepth ?? 0) > 0;
}

/** Installs the direct clone on the engine (idempotent); false when this tfjs lacks the internals it needs. */
export function installTapeClone(): boolean {
  const engine = tf.engine() as unknown as EngineInternals & { [PATCHED]?: boolean };
  if (engine[PATCHED]) return true;
  const original = engine.clone;
  if (typeof original !== 'function' || typeof engine.makeTensorFromTensorInfo !== 'function' || typeof engine.state?.gradientDepth !== 'number'
    || typeof engine.state.tensorInfo?.get !== 'function') return false;
  engine.clone = function clone(this: EngineInternals, x: tf.Tensor): tf.Tensor {
    if (this.state.gradientDepth !== 1) return original.call(this, x);
    return shareStorage(x, this) ?? original.call(this, x);
  };
  engine[PATCHED] = true;
  return true;
}
