// L-BFGS on problems with known minima, long enough for the history ring
// buffer to wrap many times.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lbfgs } from '../../src/train/lbfgs';

test('an ill-conditioned quadratic (condition 100, 60 dims): reaches the minimum through a wrapped history', () => {
  const n = 60, target = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
  const scale = Float64Array.from({ length: n }, (_, i) => 10 ** (2 * i / (n - 1)));
  const fg = (x: Float64Array, g: Float64Array) => {
    let f = 0;
    for (let i = 0; i < n; i++) { const d = x[i] - target[i]; f += 0.5 * scale[i] * d * d; g[i] = scale[i] * d; }
    return f;
  };
  const r = lbfgs(fg, new Float64Array(n), { maxIter: 1000, tol: 1e-6, m: 5 });
  assert.ok(r.converged, `stopped after ${r.iterations} iterations without converging`);
  assert.ok(r.iterations > 10, `${r.iterations} iterations: the 5-pair history never wrapped`);
  r.x.forEach((v, i) => assert.ok(Math.abs(v - target[i]) < 1e-6, `x[${i}] = ${v}, want ${target[i]}`));
});

test('Rosenbrock from (-1.2, 1): the minimum (1, 1); maxIter caps the iterations', () => {
  const fg = (x: Float64Array, g: Float64Array) => {
    const [a, b] = x;
    g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
    g[1] = 200 * (b - a * a);
    return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
  };
  const r = lbfgs(fg, Float64Array.from([-1.2, 1]), { maxIter: 500, tol: 1e-9 });
  assert.ok(Math.abs(r.x[0] - 1) < 1e-6 && Math.abs(r.x[1] - 1) < 1e-6, `ended at ${Array.from(r.x)}`);
  const capped = lbfgs(fg, Float64Array.from([-1.2, 1]), { maxIter: 3, tol: 1e-9 });
  assert.equal(capped.iterations, 3);
  assert.equal(capped.converged, false);
});
