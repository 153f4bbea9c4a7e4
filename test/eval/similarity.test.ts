import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cosineSimilarity, searchSimilarityThreshold, topKNeighbours } from '../../src/eval/similarity';
import { askSklearn, assertAllClose, rng } from './sklearn';

/** Embeddings of 3 well-separated classes in 8 dimensions, plus noise. */
function embeddings(n: number, seed: number) {
  const r = rng(seed);
  const centres = [0, 1, 2].map(() => Array.from({ length: 8 }, () => r() * 2 - 1));
  const labels = Array.from({ length: n }, (_, i) => i % 3);
  return { labels, rows: labels.map((y) => centres[y].map((v) => v + 0.35 * (r() * 2 - 1))) };
}

test('top-k neighbours by cosine similarity match scikit-learn', () => {
  const { rows } = embeddings(30, 5);
  const [sk] = askSklearn([{ task: 'cosine', embeddings: rows, k: 4 }]);
  const ours = topKNeighbours(rows, 4);
  ours.forEach((nbrs, i) => {
    assert.deepEqual(nbrs.map((x) => x.index), sk.indices[i], `row ${i}`);
    assertAllClose(nbrs.map((x) => x.similarity), sk.similarities[i], `row ${i} similarities`);
  });
  // With separate queries the query itself is not excluded.
  assert.equal(topKNeighbours(rows, 1, { queries: [rows[7]] })[0][0].index, 7);
});

test('the similarity threshold separates same-class pairs of clustered embeddings', () => {
  const { labels, rows } = embeddings(60, 9);
  const left: number[][] = [], right: number[][] = [], same: boolean[] = [];
  for (let i = 0; i < 60; i++) for (let j = i + 1; j < 60; j += 7) { left.push(rows[i]); right.push(rows[j]); same.push(labels[i] === labels[j]); }
  const found = searchSimilarityThreshold(left, right, same);
  assert.equal(found.metric, 'accuracy');
  assert.ok(found.value > 0.95, `accuracy ${found.value}`);
  assert.ok(found.threshold > 0 && found.threshold < 1);
  // Its confusion matrix counts the pairs as the threshold splits them.
  const predictedSame = found.similarities.filter((s) => s >= found.threshold).length;
  assert.equal(found.confusionMatrix[0][1] + found.confusionMatrix[1][1], predictedSame);
  assert.equal(cosineSimilarity([1, 0], [0, 0]), 0);
  assert.throws(() => cosineSimilarity([1, 0], [1]), /equal lengths/);
});
