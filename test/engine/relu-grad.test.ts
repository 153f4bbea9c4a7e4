// The ReLU gradient in one pass (engine/relu-grad.ts): dy where x > 0, else 0
// (x = 0 included), the same values as tfjs' dy * step(x), through the wasm
// kernel on sizes with and without a remainder past the last vector.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';

before(async () => { await initEngine({ backend: 'wasm', threads: 1, log: null }); });

test('the ReLU gradient is dy where x > 0 and 0 elsewhere, through cellab\'s kernel', () => {
  const e = tf.engine() as unknown as { runKernel: (...a: unknown[]) => unknown };
  const run = e.runKernel;
  let calls = 0;
  e.runKernel = function (this: unknown, ...a: unknown[]) { if (a[0] === 'CellabReluGrad') calls++; return run.apply(this, a); };
  try {
    for (const n of [7, 64, 50_001]) {
      const xs = Float32Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 0 : Math.sin(i * 1.7)));
      const dys = Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.3) + 2);
      const x = tf.tensor1d(xs), dy = tf.tensor1d(dys);
      const g = tf.grad((v: tf.Tensor) => tf.relu(v))(x, dy);
      const got = g.dataSync();
      for (let i = 0; i < n; i++) assert.equal(got[i], xs[i] > 0 ? dys[i] : 0, `n=${n}, element ${i} (x=${xs[i]})`);
      tf.dispose([x, dy, g]);
    }
  } finally {
    e.runKernel = run;
  }
  assert.equal(calls, 3, 'every gradient ran in cellab\'s kernel');
});
