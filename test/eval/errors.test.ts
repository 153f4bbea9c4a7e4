import { test } from 'node:test';
import assert from 'node:assert/strict';
import { itemLoss, mostConfused, topLosses } from '../../src/eval/errors';
import { logLoss } from '../../src/eval/log-loss';

const labels = [0, 1, 2, 1];
const scores = [[0.9, 0.05, 0.05], [0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3]];

test('item losses average to the log loss', () => {
  const mean = labels.reduce((s, l, i) => s + itemLoss(scores[i], l), 0) / labels.length;
  assert.ok(Math.abs(mean - logLoss(labels, scores)) < 1e-12);
  assert.ok(Math.abs(itemLoss([0.25, 0.75], 1) + Math.log(0.75)) < 1e-12);
});

test('top losses: highest loss first, with true and predicted class and their probabilities', () => {
  const top = topLosses(labels, scores, { n: 2 });
  assert.deepEqual(top.map((r) => r.index), [1, 3]);
  assert.deepEqual({ label: top[0].label, predicted: top[0].predicted, probability: top[0].probability, trueProbability: top[0].trueProbability },
    { label: 1, predicted: 0, probability: 0.7, trueProbability: 0.2 });
  assert.ok(Math.abs(top[0].loss + Math.log(0.2)) < 1e-12);
  assert.deepEqual(topLosses(labels, scores, { onlyWrong: true }).map((r) => r.index), [1]);
  // A decision other than argmax (a threshold) is what is reported as predicted.
  assert.equal(topLosses(labels, scores, { n: 1, predicted: [0, 1, 2, 1] })[0].predicted, 1);
  assert.throws(() => topLosses([0], scores), /1 labels but 4 score rows/);
});

test('most confused pairs: off-diagonal counts, largest first', () => {
  const cm = [[5, 2, 0], [4, 6, 1], [0, 1, 9]];
  assert.deepEqual(mostConfused(cm, ['a', 'b', 'c'], { n: 3 }), [
    { actual: 'b', predicted: 'a', count: 4 }, { actual: 'a', predicted: 'b', count: 2 }, { actual: 'b', predicted: 'c', count: 1 }]);
  assert.deepEqual(mostConfused(cm, ['a', 'b', 'c'], { min: 2 }).length, 2);
  assert.throws(() => mostConfused(cm, ['a', 'b']), /3 rows but there are 2 classes/);
});
