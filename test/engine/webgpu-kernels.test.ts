// Every kernel of every backbone's training step, on webgpu, against the cpu
// backend. The training step (forward in training mode, cross-entropy,
// gradients of all trainable weights) runs on cpu while each kernel call with
// a new signature (kernel, input shapes, attributes) is recorded with its
// inputs and outputs; each is then run on webgpu with the same inputs, and its
// outputs must match to a relative error of 1e-4.
//
// Per kernel, not per network: at these sizes a deep net's gradients are too
// sensitive to float32 rounding to compare end to end (ReLUs whose input is
// within rounding of 0 flip; on inception-v3 cpu and wasm themselves differ by
// 3.6e-2, on resnet50 by 6.7e-2), so an end-to-end bar would measure the
// network, not the backend. webgpu-gradients.test.ts compares whole training
// steps on the nets where rounding stays small.
//
// The error is relative to the size of the terms a kernel combines (the same
// kernel on |inputs|): a sum that cancels to ~0 (BatchNorm's sum of its
// normalised outputs) has no meaningful relative error of its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { createBackbone, listBackbones } from '../../src/models/index';
import { crossEntropy } from '../../src/train/losses';
import { webgpuSkip } from './webgpu-adapter';
import { filterGradByMatMul } from '../../src/engine/webgpu-filter-grad';

type Values = Float32Array | Int32Array | Uint8Array;
interface Input { values: Values; shape: number[]; dtype: tf.DataType }
interface Call { name: string; inputs: Input[] | Record<string, Input>; attrs: Record<string, unknown>; outputs: Values[]; backbone: string }

const TOLERANCE = 1e-4;
interface KernelEngine { runKernel(name: string, inputs: unknown, attrs: unknown): tf.Tensor | tf.Tensor[] }

const snapshot = (t: tf.Tensor): Input => ({ values: (t.dataSync() as Values).slice(), shape: t.shape.slice(), dtype: t.dtype });
const mapInputs = <A, B>(x: A[] | Record<string, A>, f: (a: A) => B): B[] | Record<string, B> =>
  Array.isArray(x) ? x.map(f) : Object.fromEntries(Object.entries(x).filter(([, v]) => v != null).map(([k, v]) => [k, f(v)]));
const inputList = <A>(x: A[] | Record<string, A>): A[] => (Array.isArray(x) ? x : Object.values(x));

/** The training step of `name` on cpu; every kernel call with a signature not in `seen` is recorded. */
function recordTrainingStep(name: string, minInputSize: number, seen: Set<string>): { calls: Call[]; total: number } {
  tf.setBackend('cpu');
  const size = Math.max(32, minInputSize), B = 2;
  const model = createBackbone(name, { inputShape: [size, size, 3], classes: 3, width: 0.125, seed: 3 });
  const x = tf.randomNormal([B, size, size, 3], 0, 1, 'float32', 7);
  const y = tf.oneHot(tf.tensor1d([0, 2], 'int32'), 3).toFloat() as tf.Tensor2D;
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const engine = tf.engine() as unknown as KernelEngine;
  const run = engine.runKernel;
  const calls: Call[] = [];
  let total = 0;
  engine.runKernel = function (kernel: string, inputs: tf.Tensor[] | Record<string, tf.Tensor>, attrs: Record<string, unknown>) {
    total++;
    const ins = inputs ?? {};
    const sig = kernel + JSON.stringify(mapInputs(ins, (t) => [t.shape, t.dtype])) + JSON.stringify(attrs ?? {});
    if (seen.has(sig) || /Random|Multinomial/.test(kernel)) return run.call(this, kernel, inputs, attrs);
    seen.add(sig);
    const recorded = mapInputs(ins, snapshot);
    const out = run.call(this, kernel, inputs, attrs);
    calls.push({ name: kernel, inputs: recorded, attrs: { ...(attrs ?? {}) }, outputs: (Array.isArray(out) ? out : [out]).map((o) => (o.dataSync() as Values).slice()), backbone: name });
    return out;
  };
  try {
    const g = tf.variableGrads(() => crossEntropy(y, model.apply(x, { training: true }) as tf.Tensor2D), vars);
    tf.dispose([g.value, ...Object.values(g.grads)]);
  } finally {
    engine.runKernel = run;
    tf.dispose([x, y]);
    model.dispose();
  }
  return { calls, total };
}

function runOn(backend: string, c: Call, transform: (i: Input) => Input = (i) => i): tf.Tensor[] {
  tf.setBackend(backend);
  const engine = tf.engine() as unknown as KernelEngine;
  const tensors = mapInputs(c.inputs, (i) => { const t = transform(i); return tf.tensor(t.values, t.shape, t.dtype); });
  try {
    const out = engine.runKernel(c.name, tensors, c.attrs);
    return Array.isArray(out) ? out : [out];
  } finally {
    tf.dispose(inputList(tensors));
  }
}

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += Number(v[i]) ** 2;
  return Math.sqrt(s);
}
function diffNorm(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d += (Number(a[i]) - Number(b[i])) ** 2;
  return Math.sqrt(d);
}
const abs = (i: Input): Input => (i.dtype === 'float32' ? { ...i, values: (i.values as Float32Array).map(Math.abs) } : i);

test('every kernel of every backbone\'s training step matches the cpu backend on webgpu (rel. error <= 1e-4)', { skip: webgpuSkip() }, async () => {
  await initEngine({ backend: 'webgpu', log: null });
  const seen = new Set<string>();
  const failures: string[] = [];
  let kernels = 0, calls = 0;
  for (const info of listBackbones()) {
    const rec = recordTrainingStep(info.name, info.minInputSize, seen);
    calls += rec.total;
    kernels += rec.calls.length;
    for (const c of rec.calls) {
      let out: tf.Tensor[];
      try {
        out = runOn('webgpu', c);
      } catch (err) {
        failures.push(`${c.backbone}: ${c.name} failed on webgpu: ${(err as Error).message}`);
        continue;
      }
      const got = await Promise.all(out.map((t) => t.data() as Promise<Values>));
      tf.dispose(out);
      const where = () => `${c.backbone}: ${c.name} ${JSON.stringify(mapInputs(c.inputs, (i) => i.shape))} ${JSON.stringify(c.attrs).slice(0, 120)}`;
      for (let j = 0; j < got.length; j++) {
        const d = diffNorm(got[j], c.outputs[j]);
        if (d <= TOLERANCE * norm(c.outputs[j])) continue;
        // Cancellation: measure against the kernel on |inputs| (computed only when needed).
        const scale = runOn('cpu', c, abs);
        const s = norm(scale[j].dataSync() as Values);
        tf.dispose(scale);
        if (d > TOLERANCE * Math.max(norm(c.outputs[j]), s)) {
          failures.push(`${where()} output ${j}: rel. error ${(d / Math.max(norm(c.outputs[j]), s, 1e-30)).toExponential(2)}`);
        }
      }
    }
  }
  tf.setBackend('webgpu');
  assert.deepEqual(failures, [], `${failures.length} of ${kernels} kernel signatures differ`);
  // Sanity: the recording saw the networks' real work.
  assert.ok(kernels > 1000 && calls > 50_000, `${kernels} signatures in ${calls} kernel calls`);
});

test('MaxPoolGrad on webgpu sends a window\'s gradient to its first maximum, as cpu and PyTorch do (ties, padding, strides)', { skip: webgpuSkip() }, async () => {
  await initEngine({ backend: 'webgpu', log: null });
  const cases: [number[], number, number, 'valid' | 'same' | number][] = [
    [[2, 7, 7, 3], 3, 1, 'same'], [[2, 8, 9, 2], 3, 2, 'valid'], [[1, 9, 9, 4], 3, 2, 'same'], [[1, 4, 4, 5], 2, 2, 'valid'], [[2, 6, 5, 2], 3, 2, 1], [[1, 2, 2, 3], 3, 1, 'same'],
  ];
  for (const [shape, k, s, pad] of cases) {
    const n = shape.reduce((a, b) => a * b, 1);
    // Few distinct values (0 included): many tied maxima, positive and zero.
    const x = Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 5) / 4);
    const grad = async (backend: string) => {
      await tf.setBackend(backend);
      const t = tf.tensor4d(x, shape as [number, number, number, number]);
      // A distinct weight per output window, so each window's share is visible in the gradient.
      const g = tf.grad((v: tf.Tensor) => {
        const y = tf.maxPool(v as tf.Tensor4D, k, s, pad);
        return tf.sum(tf.mul(y, tf.range(1, 1 + y.size).reshape(y.shape)));
      })(t);
      const out = await g.data();
      tf.dispose([t, g]);
      return Array.from(out);
    };
    assert.deepEqual(await grad('webgpu'), await grad('cpu'), `maxPool ${shape} k${k} s${s} ${pad}`);
  }
  tf.setBackend('webgpu');
});

test('AddN on webgpu sums any number of tensors (beyond the 7 inputs a shader stage can bind), as cpu does', { skip: webgpuSkip() }, async () => {
  await initEngine({ backend: 'webgpu', log: null });
  for (const n of [2, 7, 8, 9, 15, 23]) {
    const sum = async (backend: string) => {
      await tf.setBackend(backend);
      // Computed tensors (on the device), not uploads: as the gradient norms clipping sums.
      const xs = Array.from({ length: n }, (_, i) => tf.mul(tf.range(0, 6), i + 1));
      const s = tf.addN(xs);
      const out = Array.from(await s.data());
      tf.dispose([...xs, s]);
      return out;
    };
    assert.deepEqual(await sum('webgpu'), await sum('cpu'), `addN of ${n}`);
  }
  tf.setBackend('webgpu');
});

test('Conv2DBackpropFilter on webgpu is one matrix product equal to cpu\'s, in batch chunks beyond its im2col budget (strides, paddings)', { skip: webgpuSkip() }, async () => {
  await initEngine({ backend: 'webgpu', log: null });
  type Case = [[number, number, number, number], [number, number, number, number], number | [number, number], 'same' | 'valid' | number | tf.backend_util.ExplicitPadding];
  const cases: Case[] = [
    [[3, 7, 7, 3], [3, 3, 3, 4], 1, 'same'], [[3, 8, 9, 2], [3, 3, 2, 5], 2, 'valid'], [[2, 9, 9, 4], [5, 5, 4, 3], 2, 'same'],
    [[2, 6, 5, 2], [3, 3, 2, 2], [2, 1], [[0, 0], [1, 2], [2, 0], [0, 0]]], [[2, 5, 5, 3], [1, 1, 3, 6], 1, 'valid'], [[2, 7, 7, 3], [7, 7, 3, 4], 2, 3],
  ];
  let stockCalls = 0;
  const stock: tf.KernelFunc = () => { stockCalls++; throw new Error('stock kernel'); };
  for (const [xs, fs, s, pad] of cases) {
    const info = tf.backend_util.computeConv2DInfo(xs, fs, s, 1, pad);
    const x = Float32Array.from({ length: xs.reduce((a, b) => a * b) }, (_, i) => Math.sin(i * 1.3));
    const dy = Float32Array.from({ length: info.outShape.reduce((a, b) => a * b) }, (_, i) => Math.cos(i * 0.7));
    const attrs = { strides: s, pad, dataFormat: 'NHWC', filterShape: fs };
    await tf.setBackend('cpu');
    const want = tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor4d(x, xs), dy: tf.tensor4d(dy, info.outShape) }, attrs) as tf.Tensor;
    const expected = want.dataSync();
    await tf.setBackend('webgpu');
    const perImage = info.outHeight * info.outWidth * fs[0] * fs[1] * fs[2];
    // The whole batch in one product, one image per product, and (budget below one image) the stock kernel.
    for (const budget of [perImage * xs[0], perImage, perImage - 1]) {
      const tx = tf.tensor4d(x, xs), tdy = tf.tensor4d(dy, info.outShape);
      const before = tf.backend().numDataIds(), calls = stockCalls;
      let got: Float32Array | undefined;
      try {
        const out = filterGradByMatMul(stock, budget)({ inputs: { x: tx, dy: tdy }, backend: tf.backend(), attrs: attrs as unknown as tf.NamedAttrMap }) as tf.TensorInfo;
        const t = tf.engine().makeTensorFromTensorInfo(out);
        got = await t.data() as Float32Array;
        t.dispose();
      } catch (err) {
        assert.equal((err as Error).message, 'stock kernel');
      }
      tf.dispose([tx, tdy]);
      const where = `${JSON.stringify([xs, fs, s, pad])} budget ${budget}`;
      if (budget < perImage) {
        assert.equal(stockCalls, calls + 1, `${where}: the stock kernel takes it`);
        continue;
      }
      assert.equal(stockCalls, calls, `${where}: one product per chunk`);
      assert.ok(diffNorm(got!, expected) <= 1e-5 * norm(expected), `${where}: rel. error ${diffNorm(got!, expected) / norm(expected)}`);
      assert.equal(tf.backend().numDataIds(), before - 2, `${where}: no device buffer left behind`);
    }
    want.dispose();
  }
});
