import { test } from 'node:test';
import assert from 'node:assert/strict';
import { samplePairs, thresholdMetrics } from '../../src/experiment/extra-eval';

test('samplePairs: distinct, seeded, about half same-class', () => {
  const labels = Int32Array.from({ length: 60 }, (_, i) => i % 3);
  const a = samplePairs(labels, 200, 1);
  assert.deepEqual(a, samplePairs(labels, 200, 1));
  assert.equal(a.length, 200);
  assert.ok(a.every(([x, y]) => x !== y));
  assert.equal(new Set(a.map(([x, y]) => (x < y ? `${x},${y}` : `${y},${x}`))).size, 200);
  const same = a.filter(([x, y]) => labels[x] === labels[y]).length;
  assert.ok(same >= 90 && same <= 140, `same-class pairs: ${same}`);
});

test('thresholdMetrics: the threshold comes from validation, the metrics from test', () => {
  // Every threshold in (0.3, 0.7] separates validation; ties go to the highest (0.7).
  // On test, 0.7 misses the positive at 0.55 (and a threshold tuned on test would not).
  const val = [0.1, 0.2, 0.3, 0.7, 0.8, 0.9];
  const valLabels = Int32Array.from([0, 0, 0, 1, 1, 1]);
  const test = [0.1, 0.65, 0.3, 0.55, 0.8, 0.9];
  const testLabels = Int32Array.from([0, 0, 0, 1, 1, 1]);
  const two = (s: number[]) => Float32Array.from(s.flatMap((p) => [1 - p, p]));
  const m = thresholdMetrics({ metric: 'accuracy', positive: 1, numClasses: 2, valScores: two(val), valLabels, testScores: two(test), testLabels });
  assert.ok(Math.abs(m.threshold - 0.7) < 1e-6, `threshold ${m.threshold}`);
  assert.ok(Math.abs(m.threshold_accuracy - 5 / 6) < 1e-9, `accuracy ${m.threshold_accuracy}`);
  assert.ok(Math.abs(m.threshold_sensitivity - 2 / 3) < 1e-9);
});
