import { test } from 'node:test';
import assert from 'node:assert/strict';
import { knnAccuracy, knnClassify } from '../../src/eval/knn';
import { askSklearn, assertAllClose, rng } from './sklearn';

/** 3 overlapping classes in 6 dimensions (so the vote is not always unanimous). */
function points(n: number, seed: number) {
  const r = rng(seed);
  const centres = [0, 1, 2].map(() => Array.from({ length: 6 }, () => r() * 2 - 1));
  const labels = Array.from({ length: n }, (_, i) => i % 3);
  return { labels, rows: labels.map((y) => centres[y].map((v) => v + 0.9 * (r() * 2 - 1))) };
}

test('k-NN votes match scikit-learn (cosine metric), uniform and similarity-weighted', () => {
  const train = points(60, 3), query = points(30, 4);
  const [uniform, weighted] = askSklearn([
    { task: 'knn', train: train.rows, labels: train.labels, queries: query.rows, k: 7 },
    { task: 'knn', train: train.rows, labels: train.labels, queries: query.rows, k: 7, temperature: 0.1 },
  ]);
  const u = knnClassify(train.rows, train.labels, query.rows, { k: 7, numClasses: 3, temperature: Infinity });
  assert.deepEqual(u.predictions, uniform.predictions);
  u.scores.forEach((s, i) => assertAllClose(s, uniform.proba[i], `uniform proba ${i}`, 1e-12));
  const w = knnClassify(train.rows, train.labels, query.rows, { k: 7, numClasses: 3, temperature: 0.1 });
  assert.deepEqual(w.predictions, weighted.predictions);
  w.scores.forEach((s, i) => assertAllClose(s, weighted.proba[i], `weighted proba ${i}`, 1e-9));
  // Some votes are split, so the weighting matters somewhere in this set.
  assert.ok(u.scores.some((s) => Math.max(...s) < 1));
});

test('k-NN accuracy: separable embeddings score 1, k larger than the training set is capped', () => {
  const rows = [[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]], labels = [0, 0, 1, 1];
  assert.equal(knnAccuracy(rows, labels, [[1, 0.05], [0.05, 1]], [0, 1], { k: 2, numClasses: 2 }), 1);
  assert.equal(knnClassify(rows, labels, [[1, 0]], { k: 50, numClasses: 2 }).scores[0].length, 2);
  assert.throws(() => knnClassify(rows, [0, 1], [[1, 0]], { k: 1, numClasses: 2 }), /4 training rows but 2 labels/);
  assert.throws(() => knnClassify([], [], [[1, 0]], { k: 1, numClasses: 2 }), /at least one training row/);
});
