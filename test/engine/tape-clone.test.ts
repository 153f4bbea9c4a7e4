// Saving tensors for the backward pass without an Identity kernel each
// (engine/tape-clone.ts): first-order gradients are the same bits as with
// tfjs' own clone, gradients of gradients still flow through saved tensors,
// nothing leaks, and a training step runs far fewer kernels.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { installTapeClone } from '../../src/engine/tape-clone';
import { createBackbone } from '../../src/models';
import { stepGradients } from './fixtures/step-gradients';

before(async () => { await initEngine({ backend: 'wasm', threads: 1, log: null }); });

type Clone = (x: tf.Tensor) => tf.Tensor;
const engine = () => tf.engine() as unknown as { clone: Clone };

/** Runs f with tfjs' own clone (the prototype's) instead of the installed one. */
function withTfjsClone<T>(f: () => T): T {
  const e = engine(), mine = e.clone;
  e.clone = Object.getPrototypeOf(e).clone;
  try { return f(); } finally { e.clone = mine; }
}

test('installed on wasm, and a resnet18 step\'s gradients are the same bits as with tfjs\' clone', () => {
  assert.ok(installTapeClone());
  assert.notEqual(engine().clone, Object.getPrototypeOf(engine()).clone, 'the engine still uses tfjs\' clone');
  const model = createBackbone('resnet18', { inputShape: [32, 32, 1], classes: 3, width: 0.125, seed: 3 });
  const x = tf.randomNormal([4, 32, 32, 1], 0, 1, 'float32', 4);
  const ours = stepGradients(model, x), theirs = withTfjsClone(() => stepGradients(model, x));
  assert.equal(ours.length, theirs.length);
  ours.forEach((g, i) => assert.deepEqual(g, theirs[i], `gradient ${i} differs`));
  x.dispose();
  model.dispose();
});

test('a gradient of a gradient still flows through saved tensors', () => {
  // d/dx (d/dx x^3) = 6x: the inner gradient uses saved x, which the outer one must see.
  const x = tf.scalar(1.5);
  const second = tf.grad((v: tf.Tensor) => tf.grad((u: tf.Tensor) => tf.mul(tf.mul(u, u), u))(v))(x);
  assert.ok(Math.abs(second.dataSync()[0] - 9) < 1e-5, `second derivative ${second.dataSync()[0]}, expected 9`);
  tf.dispose([x, second]);
});

test('no tensor leaks and far fewer kernels per training step', () => {
  const model = createBackbone('resnet18', { inputShape: [32, 32, 1], classes: 3, width: 0.125, seed: 5 });
  const x = tf.randomNormal([4, 32, 32, 1], 0, 1, 'float32', 6);
  stepGradients(model, x);
  const n = tf.memory().numTensors;
  stepGradients(model, x);
  assert.equal(tf.memory().numTensors, n, 'tensors leaked across a step');
  const count = (f: () => unknown) => {
    const e = tf.engine() as unknown as { runKernel: (...a: unknown[]) => unknown };
    const run = e.runKernel;
    let identities = 0;
    e.runKernel = function (this: unknown, ...a: unknown[]) { if (a[0] === 'Identity') identities++; return run.apply(this, a); };
    try { f(); } finally { e.runKernel = run; }
    return identities;
  };
  const ours = count(() => stepGradients(model, x)), theirs = count(() => withTfjsClone(() => stepGradients(model, x)));
  assert.ok(ours < theirs / 4, `Identity kernels per step: ${ours} with the direct clone, ${theirs} with tfjs'`);
  x.dispose();
  model.dispose();
});
