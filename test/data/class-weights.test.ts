import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeClassWeights } from '../../src/data/class-weights';
import type { DatasetItem } from '../../src/data/types';
import { python } from './helpers';

const labels = [0, 0, 0, 0, 0, 0, 1, 1, 1, 2];
const classes = ['homogeneous', 'nucleolar', 'centromere'];

test('inverse equals scikit-learn compute_class_weight("balanced"); per-sample weights follow the labels', () => {
  const sk = python<number[]>(`
import json
from sklearn.utils.class_weight import compute_class_weight
import numpy as np
y = np.array(${JSON.stringify(labels)})
print(json.dumps(compute_class_weight("balanced", classes=np.array([0, 1, 2]), y=y).tolist()))
`);
  const w = computeClassWeights(labels, classes, 'inverse');
  w.perClass.forEach((v, i) => assert.ok(Math.abs(v - sk[i]) < 1e-12, `class ${i}: ${v} vs ${sk[i]}`));
  assert.deepEqual(w.counts, [6, 3, 1]);
  assert.deepEqual(Array.from(w.perSample), labels.map((l) => Math.fround(sk[l])));
});

test('one-minus-frequency is 1 - n_c/N (the protein study); none is all ones; labels may be names or items', () => {
  const names = labels.map((l) => classes[l]);
  const w = computeClassWeights(names, classes, 'one-minus-frequency');
  assert.deepEqual(w.perClass.map((v) => +v.toFixed(12)), [0.4, 0.7, 0.9]);
  const items = names.map((label, i): DatasetItem => ({ id: String(i), path: '', label: label.toUpperCase(), extra: {} }));
  assert.deepEqual(computeClassWeights(items, classes, 'none').perClass, [1, 1, 1]);
  assert.deepEqual(computeClassWeights(items, classes, 'inverse').counts, [6, 3, 1], 'labels matched case-insensitively');
});

test('an explicit map sets named classes (others 1); a name that is no class is an error listing the classes', () => {
  assert.deepEqual(computeClassWeights(labels, classes, { Centromere: 5, nucleolar: 2 }).perClass, [1, 2, 5]);
  assert.throws(() => computeClassWeights(labels, classes, { centromeric: 5 }), /names 'centromeric', not a class. Classes: homogeneous, nucleolar, centromere/);
  assert.throws(() => computeClassWeights([0, 0, 1], classes, 'inverse'), /needs training items of every class; none for centromere/);
});
