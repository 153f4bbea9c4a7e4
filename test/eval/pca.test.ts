import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pca } from '../../src/eval/pca';
import { askSklearn, assertAllClose, rng } from './sklearn';

function data(n: number, d: number, seed: number): number[][] {
  const r = rng(seed);
  // Decaying scales along random directions: a clear spectrum like real embeddings.
  const axes = Array.from({ length: d }, (_, a) => Array.from({ length: d }, () => (r() * 2 - 1) / (1 + a)));
  return Array.from({ length: n }, () => {
    const z = axes.map(() => r() * 2 - 1);
    return Array.from({ length: d }, (_, j) => 3 + axes.reduce((s, ax, a) => s + z[a] * ax[j] * 4, 0));
  });
}

test('PCA matches scikit-learn (components, explained variance, projection, signs)', () => {
  const cases = [
    { task: 'pca', rows: data(40, 5, 1), k: 2 },        // block covers all dimensions
    { task: 'pca', rows: data(120, 64, 2), k: 3 },      // subspace iteration
    { task: 'pca', rows: data(12, 50, 3), k: 3 },       // fewer rows than dimensions
  ];
  const answers = askSklearn(cases);
  cases.forEach((c, i) => {
    const ours = pca(c.rows, c.k);
    const sk = answers[i];
    assertAllClose(ours.explainedVarianceRatio, sk.ratio, `case ${i} ratio`);
    assertAllClose(ours.explainedVariance, sk.variance, `case ${i} variance`);
    ours.components.forEach((comp, k) => assertAllClose(comp, sk.components[k], `case ${i} component ${k}`, 1e-8));
    ours.projected.forEach((row, r) => assertAllClose(row, sk.projected[r], `case ${i} projected row ${r}`, 1e-8));
  });
});

test('PCA rejects impossible requests with the limits', () => {
  assert.throws(() => pca([[1, 2]], 1), /at least 2 rows/);
  assert.throws(() => pca([[1, 2], [3, 4]], 3), /k is 3: expected an integer in 1\.\.2/);
  assert.throws(() => pca([[1, 2], [3]], 1), /rows\[1\] has 1 values/);
});
