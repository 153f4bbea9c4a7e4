import { test } from 'node:test';
import assert from 'node:assert/strict';
import { samplePairs, chooseThreshold } from '../../src/experiment/extra-eval';
import { evaluateClassification } from '../../src/eval/evaluate';

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

test('chooseThreshold: the threshold comes from validation; the test metrics are evaluated at it', () => {
  // Every threshold in (0.3, 0.7] separates validation; ties go to the highest (0.7).
  // On test, 0.7 misses the positive at 0.55 (and a threshold tuned on test would not).
  const val = [0.1, 0.2, 0.3, 0.7, 0.8, 0.9];
  const valLabels = Int32Array.from([0, 0, 0, 1, 1, 1]);
  const test = [0.1, 0.65, 0.3, 0.55, 0.8, 0.9];
  const testLabels = [0, 0, 0, 1, 1, 1];
  const two = (s: number[]) => Float32Array.from(s.flatMap((p) => [1 - p, p]));
  const { threshold } = chooseThreshold({ metric: 'accuracy', positive: 1, numClasses: 2, valScores: two(val), valLabels });
  assert.ok(Math.abs(threshold - 0.7) < 1e-6, `threshold ${threshold}`);
  const m = evaluateClassification({ labels: testLabels, scores: test.map((p) => [1 - p, p]), classNames: ['n', 'p'], threshold }).metrics;
  assert.ok(Math.abs(m.accuracy - 5 / 6) < 1e-9, `accuracy ${m.accuracy}`);
  assert.ok(Math.abs(m.sensitivity - 2 / 3) < 1e-9);
});
