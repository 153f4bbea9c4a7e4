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

/** Installs the direct clone on the engine (idempotent); false when this tfjs lacks the internals it needs. */
export function installTapeClone(): boolean {
  const engine = tf.engine() as unknown as EngineInternals & { [PATCHED]?: boolean };
  if (engine[PATCHED]) return true;
  const original = engine.clone;
  if (typeof original !== 'function' || typeof engine.makeTensorFromTensorInfo !== 'function' || typeof engine.state?.gradientDepth !== 'number'
    || typeof engine.state.tensorInfo?.get !== 'function') return false;
  engine.clone = function clone(this: EngineInternals, x: tf.Tensor): tf.Tensor {
    if (this.state.gradientDepth !== 1 || x.dtype === 'string' || x.dtype === 'complex64') return original.call(this, x);
    const backend = this.state.tensorInfo.get(x.dataId)?.backend;
    if (!backend || typeof backend.incRef !== 'function') return original.call(this, x);
    backend.incRef(x.dataId);
    return this.makeTensorFromTensorInfo({ dataId: x.dataId, shape: x.shape, dtype: x.dtype }, backend);
  };
  engine[PATCHED] = true;
  return true;
}
