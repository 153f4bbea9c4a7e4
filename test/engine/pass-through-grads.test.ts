// Add and Identity gradients that pass dy through without a kernel call
// (engine/pass-through-grads.ts), and batch norm's training step without its
// clones and reshape (engine/batch-norm-train.ts): the same gradients as
// tfjs-core's own, broadcasting still summed, gradients of gradients still
// flowing, no tensor leaked, and far fewer engine calls per resnet step.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { GradConfig } from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { addGradConfig, identityGradConfig } from '../../src/engine/pass-through-grads';
import { createBackbone } from '../../src/models';
import { stepGradients } from './fixtures/step-gradients';

before(async () => { await initEngine({ backend: 'wasm', threads: 1, log: null }); });

// tfjs-core's own gradients, as its source defines them (gradients/Add_grad.ts, Identity_grad.ts).
const tfjsAdd: GradConfig = {
  kernelName: 'Add', inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved) => {
    const [a, b] = saved;
    const out = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const der = (s: number[]) => () => {
      const axes = tf.backend_util.getReductionAxes(s, out);
      return tf.reshape(axes.length ? tf.sum(dy as tf.Tensor, axes) : dy as tf.Tensor, s);
    };
    return { a: der(a.shape), b: der(b.shape) };
  },
};
const tfjsIdentity: GradConfig = { kernelName: 'Identity', gradFunc: (dy) => ({ x: () => tf.cast(dy as tf.Tensor, 'float32') }) };

/** Runs f with tfjs-core's Add and Identity gradients, then puts cellab's back. */
function withTfjsGradients<T>(f: () => T): T {
  tf.registerGradient(tfjsAdd);
  tf.registerGradient(tfjsIdentity);
  try { return f(); } finally { tf.registerGradient(addGradConfig); tf.registerGradient(identityGradConfig); }
}

function countKernels(f: () => unknown): Map<string, number> {
  const e = tf.engine() as unknown as { runKernel: (...a: unknown[]) => unknown };
  const run = e.runKernel, counts = new Map<string, number>();
  e.runKernel = function (this: unknown, ...a: unknown[]) { counts.set(a[0] as string, (counts.get(a[0] as string) ?? 0) + 1); return run.apply(this, a); };
  try { f(); } finally { e.runKernel = run; }
  return counts;
}

test('a resnet step\'s gradients are the same bits as with tfjs\' Add and Identity gradients, and nothing leaks', () => {
  const model = createBackbone('resnet18', { inputShape: [32, 32, 1], classes: 3, width: 0.125, seed: 7 });
  const x = tf.randomNormal([4, 32, 32, 1], 0, 1, 'float32', 8);
  const ours = stepGradients(model, x);
  const n = tf.memory().numTensors;
  stepGradients(model, x);
  assert.equal(tf.memory().numTensors, n, 'tensors leaked across a step');
  const theirs = withTfjsGradients(() => stepGradients(model, x));
  assert.equal(ours.length, theirs.length);
  ours.forEach((g, i) => assert.deepEqual(g, theirs[i], `gradient ${i} differs`));
  x.dispose();
  model.dispose();
});

test('a broadcast sum\'s gradient is still summed over the broadcast axes', () => {
  const a = tf.tensor2d([[1, 2, 3], [4, 5, 6]]), b = tf.tensor1d([10, 20, 30]), w = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
  const [ga, gb] = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.add(p, q), w)))([a, b]);
  assert.deepEqual(ga.shape, [2, 3]);
  assert.deepEqual(Array.from(ga.dataSync()), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(gb.shape, [3]);
  assert.deepEqual(Array.from(gb.dataSync()), [5, 7, 9]);
  // A scalar added to a matrix: its gradient is the sum of dy.
  const gs = tf.grad((s: tf.Tensor) => tf.sum(tf.mul(tf.add(a, s), w)))(tf.scalar(2));
  assert.equal(gs.dataSync()[0], 21);
  tf.dispose([a, b, w, ga, gb, gs]);
});

test('gradients of gradients still flow through Add and Identity', () => {
  // f(x) = clone(x + x)^2 = 4x^2: f' = 8x, f'' = 8.
  const x = tf.scalar(1.5);
  const f = (u: tf.Tensor) => tf.square(tf.clone(tf.add(u, u)));
  const first = tf.grad(f)(x);
  const second = tf.grad((v: tf.Tensor) => tf.grad(f)(v))(x);
  assert.equal(first.dataSync()[0], 12);
  assert.equal(second.dataSync()[0], 8);
  tf.dispose([x, first, second]);
});

test('a resnet step makes no Reshape for its residual sums or batch norms, and no Cast for their clones', () => {
  const model = createBackbone('resnet18', { inputShape: [32, 32, 1], classes: 3, width: 0.125, seed: 9 });
  const x = tf.randomNormal([4, 32, 32, 1], 0, 1, 'float32', 10);
  stepGradients(model, x);
  const ours = countKernels(() => stepGradients(model, x));
  const theirs = countKernels(() => withTfjsGradients(() => stepGradients(model, x)));
  const total = (m: Map<string, number>) => [...m.values()].reduce((s, v) => s + v, 0);
  // 8 residual sums: 2 Reshapes (Add) and 1 Cast (Identity) each fewer; the 20 batch norms' Reshapes and clones are gone in both runs.
  assert.equal((theirs.get('Reshape') ?? 0) - (ours.get('Reshape') ?? 0), 16, `Reshape: ${ours.get('Reshape')} vs tfjs' ${theirs.get('Reshape')}`);
  assert.equal((theirs.get('Cast') ?? 0) - (ours.get('Cast') ?? 0), 8, `Cast: ${ours.get('Cast')} vs tfjs' ${theirs.get('Cast')}`);
  assert.ok((ours.get('Identity') ?? 0) <= 10, `Identity kernels per step: ${ours.get('Identity')} (batch norm's statistics are no longer cloned)`);
  assert.ok(total(ours) < 0.8 * 350, `kernel calls per step: ${total(ours)}`);
  x.dispose();
  model.dispose();
});
