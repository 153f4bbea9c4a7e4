import { test } from 'node:test';
import assert from 'node:assert/strict';
import { searchThreshold, thresholdCurve, THRESHOLD_METRICS } from '../../src/eval/threshold';
import { askSklearn, assertClose, rng } from './sklearn';

function binaryCase(seed: number, n: number, ties: boolean) {
  const r = rng(seed);
  const labels = Array.from({ length: n }, () => (r() < 0.35 ? 1 : 0) as 0 | 1);
  const scores = labels.map((y) => {
    const s = 1 / (1 + Math.exp(-(y ? 0.8 : -0.8) - 2 * (r() - 0.5) * 2));
    return ties ? Math.round(s * 20) / 20 : s;
  });
  return { labels, scores };
}

test('the best threshold for every metric matches a brute-force search with scikit-learn', () => {
  const cases = Array.from({ length: 12 }, (_, t) => ({ task: 'threshold', ...binaryCase(100 + t, 10 + t * 17, t % 2 === 0), ...(t % 4 === 3 ? { minSensitivity: 0.9 } : {}) }));
  const answers = askSklearn(cases);
  cases.forEach((c, i) => {
    for (const metric of THRESHOLD_METRICS) {
      const ours = searchThreshold(c.scores, c.labels, { metric, minSensitivity: (c as { minSensitivity?: number }).minSensitivity });
      const sk = answers[i][metric];
      const what = `case ${i} ${metric}`;
      assertClose(ours.value, sk.value, `${what} value`);
      assert.equal(ours.threshold, sk.threshold ?? Infinity, `${what} threshold`);
      assert.deepEqual(ours.confusionMatrix, sk.confusion_matrix, `${what} confusion matrix`);
    }
  });
});

test('a fixed sensitivity is honoured and the operating point is reported', () => {
  const scores = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95];
  const labels: (0 | 1)[] = [0, 0, 1, 0, 0, 1, 0, 1, 1, 1];
  const free = searchThreshold(scores, labels, { metric: 'youden' });
  assert.equal(free.threshold, 0.8);
  assert.equal(free.sensitivity, 0.6);
  const sensitive = searchThreshold(scores, labels, { metric: 'youden', minSensitivity: 1 });
  assert.equal(sensitive.threshold, 0.3);
  assert.equal(sensitive.sensitivity, 1);
  assert.deepEqual(sensitive.confusionMatrix, [[2, 3], [0, 5]]);
  assert.equal(sensitive.specificity, 0.4);
});

test('errors say what is wrong', () => {
  assert.throws(() => searchThreshold([0.1, 0.2], [1, 1], { metric: 'f1' }), /needs both classes.*2 positive\(s\) and 0 negative/);
  assert.throws(() => searchThreshold([0.1, 0.2], [0, 1], { metric: 'auc' as never }), /threshold metric `auc` is not available\. Available: f1, youden, balanced_accuracy, accuracy/);
  assert.throws(() => searchThreshold([0.1, NaN], [0, 1], { metric: 'f1' }), /scores\[1\] is NaN/);
});

test('thresholdCurve: the metric at each threshold, exactly as counting the predictions would give', () => {
  const r = rng(21);
  const scores = Array.from({ length: 80 }, () => Math.round(r() * 40) / 40);  // ties included
  const labels = scores.map((s) => (r() < s ? 1 : 0) as 0 | 1);
  const brute = (t: number) => scores.filter((s, i) => (s >= t ? 1 : 0) === labels[i]).length / scores.length;
  const all = thresholdCurve(scores, labels, { metric: 'accuracy' });
  assert.deepEqual(all.thresholds, [...new Set(scores)].sort((a, b) => a - b));
  all.thresholds.forEach((t, i) => assert.ok(Math.abs(all.values[i] - brute(t)) < 1e-12, `at ${t}`));
  // The best point of the curve is what searchThreshold chooses.
  const best = searchThreshold(scores, labels, { metric: 'accuracy' });
  assert.equal(Math.max(...all.values), best.value);
  const grid = thresholdCurve(scores, labels, { metric: 'accuracy', points: 7 });
  assert.equal(grid.thresholds.length, 7);
  assert.equal(grid.thresholds[0], Math.min(...scores));
  assert.equal(grid.thresholds[6], Math.max(...scores));
  grid.thresholds.forEach((t, i) => assert.ok(Math.abs(grid.values[i] - brute(t)) < 1e-12, `grid at ${t}`));
  assert.throws(() => thresholdCurve([0.1, 0.2], [1, 1], { metric: 'f1' }), /needs both classes/);
});
