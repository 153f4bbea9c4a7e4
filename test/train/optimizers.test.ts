// Optimisers against torch.optim: the same quadratic, the same per-step
// learning rates, the same trajectory.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { createOptimizer, type OptimizerOptions } from '../../src/train/optimizers';
import { askTorch } from './torch';

before(async () => { await initEngine({ backend: 'wasm', log: null }); });

const INIT = [[0.5, -1.2, 2.0], [0.3, 0.8, -0.4]];
const TARGET = [[1, 0, -1], [2, -2, 0.5]];
const COEF = [[1, 3, 0.5], [2, 0.2, 1.5]];
const LRS = [0.05, 0.1, 0.1, 0.08, 0.06, 0.03, 0.02, 0.01];   // changes every step, as a schedule does

/** Our optimiser on 0.5 * sum(coef * (p - target)^2). */
function ours(o: OptimizerOptions, init = INIT): number[][] {
  const p = tf.variable(tf.tensor2d(init));
  const target = tf.tensor2d(TARGET), coef = tf.tensor2d(COEF);
  const opt = createOptimizer(o);
  for (const lr of LRS) {
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(0.5, tf.mul(coef, tf.square(tf.sub(p, target))))) as tf.Scalar, [p]);
    opt.step([p], grads, lr);
    tf.dispose(Object.values(grads));
  }
  const out = p.arraySync() as number[][];
  opt.dispose();
  tf.dispose([p, target, coef]);
  return out;
}

const CASES: { label: string; o: OptimizerOptions; torch: Record<string, unknown> }[] = [
  { label: 'adam', o: { name: 'adam' }, torch: { name: 'adam', wd: 0 } },
  { label: 'adam + L2 weight decay', o: { name: 'adam', weightDecay: 0.1 }, torch: { name: 'adam', wd: 0.1 } },
  { label: 'adamw (decoupled decay 0.05)', o: { name: 'adamw', weightDecay: 0.05 }, torch: { name: 'adamw', wd: 0.05 } },
  { label: 'adamw default decay 0.01, betas (0.8, 0.99)', o: { name: 'adamw', betas: [0.8, 0.99] }, torch: { name: 'adamw', wd: 0.01, betas: [0.8, 0.99] } },
  { label: 'sgd default momentum 0.9', o: { name: 'sgd' }, torch: { name: 'sgd', momentum: 0.9, nesterov: false, wd: 0 } },
  { label: 'sgd nesterov + decay', o: { name: 'sgd', momentum: 0.8, nesterov: true, weightDecay: 0.01 }, torch: { name: 'sgd', momentum: 0.8, nesterov: true, wd: 0.01 } },
  { label: 'plain sgd', o: { name: 'sgd', momentum: 0 }, torch: { name: 'sgd', momentum: 0, nesterov: false, wd: 0 } },
  { label: 'rmsprop', o: { name: 'rmsprop' }, torch: { name: 'rmsprop', momentum: 0, wd: 0 } },
  { label: 'rmsprop with momentum + decay', o: { name: 'rmsprop', momentum: 0.9, weightDecay: 0.02 }, torch: { name: 'rmsprop', momentum: 0.9, wd: 0.02 } },
];

// Every implementation: cellab's SIMD kernel over the wasm heap (the default on
// wasm), JS loops over the heap (when the kernels do not load) and tf ops (what
// other backends run).
for (const [heapLoops, simdKernel] of [[true, true], [true, false], [false, false]]) {
  test(`every optimiser follows torch.optim step for step (per-step learning rates; ${heapLoops ? simdKernel ? 'SIMD kernel' : 'JS heap loops' : 'tf ops'})`, () => {
    const expected = askTorch<number[][]>(CASES.map((c) => ({
      kind: 'optim', init: INIT, target: TARGET, coef: COEF, lrs: LRS, betas: [0.9, 0.999], eps: 1e-8, alpha: 0.99, ...c.torch,
    })));
    CASES.forEach((c, i) => {
      const got = ours({ ...c.o, heapLoops, simdKernel }).flat(), want = expected[i].flat();
      got.forEach((v, j) => assert.ok(Math.abs(v - want[j]) < 2e-5, `${c.label}: p[${j}] = ${v}, torch ${want[j]}`));
      // And the case is not trivially equal to the start.
      assert.ok(Math.abs(got[0] - INIT[0][0]) > 1e-3, `${c.label} did not move`);
    });
  });
}

test('weight decay skips 1-D weights (biases, norm parameters), as timm does', () => {
  const bias = tf.variable(tf.tensor1d([1, 1]));
  const kernel = tf.variable(tf.tensor2d([[1, 1]]));
  const opt = createOptimizer({ name: 'adamw', weightDecay: 0.5 });
  const zero = { [bias.name]: tf.zeros([2]), [kernel.name]: tf.zeros([1, 2]) };
  opt.step([bias, kernel], zero, 0.1);
  assert.deepEqual(Array.from(bias.dataSync()), [1, 1]);
  assert.ok(Math.abs(kernel.dataSync()[0] - 0.95) < 1e-6, `kernel decayed to ${kernel.dataSync()[0]}, expected 1 - 0.1 * 0.5`);
  opt.dispose();
  tf.dispose([bias, kernel, ...Object.values(zero)]);
});

test('nesterov without sgd momentum is refused', () => {
  assert.throws(() => createOptimizer({ name: 'adam', nesterov: true }), /nesterov needs train.optimizer sgd/);
});

test('optimiser state does not leak tensors', () => {
  const p = tf.variable(tf.tensor2d(INIT));
  const opt = createOptimizer({ name: 'adam' });
  const g = { [p.name]: tf.onesLike(p) };
  opt.step([p], g, 0.1);
  const n = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) opt.step([p], g, 0.1);
  assert.equal(tf.memory().numTensors, n);
  opt.dispose();
  tf.dispose([p, g[p.name]]);
});

test('the SIMD kernel matches the JS loops on a weight large enough to be cut into chunks across threads', () => {
  const n = 7 * 10_003;   // several kernel-pool chunks, and a tail past the last 4-float vector
  const init = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * 0.5);
  const grads = [1, 2, 3].map((s) => Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.11 * s) * 0.1));
  for (const o of [{ name: 'adamw', weightDecay: 0.05 }, { name: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 0.01 }, { name: 'rmsprop', momentum: 0.5 }] as OptimizerOptions[]) {
    const run = (simdKernel: boolean) => {
      const p = tf.variable(tf.tensor2d(init, [7, 10_003]));
      const opt = createOptimizer({ ...o, simdKernel });
      grads.forEach((g, i) => {
        const gt = { [p.name]: tf.tensor(g, p.shape) };
        opt.step([p], gt, 0.01 * (i + 1));
        tf.dispose(Object.values(gt));
      });
      const out = p.dataSync().slice();
      opt.dispose();
      p.dispose();
      return out;
    };
    const kernel = run(true), js = run(false);
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(kernel[i] - js[i]));
    assert.ok(worst < 1e-6, `${o.name}: SIMD kernel and JS loops differ by ${worst}`);
    assert.ok(Math.abs(kernel[n - 1] - init[n - 1]) > 1e-4, `${o.name}: the last element did not move`);
  }
});
