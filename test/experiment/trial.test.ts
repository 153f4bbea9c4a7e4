import { test } from 'node:test';
import assert from 'node:assert/strict';
import { predictionsCsv } from '../../src/experiment/trial';
import { parseCsv } from '../../src/data/csv';
import { predictionsFromRows } from '../../src/eval/predictions-csv';
import type { DatasetItem } from '../../src/data/types';

test('predictions.csv: quoted paths and labels, scores at full float32 precision that read back exactly', () => {
  const items: DatasetItem[] = [
    { id: 'a,1', path: '/data/x, y/a.png', label: 'fine_speckled', extra: {} },
    { id: 'b', path: '/data/"q"/b.png', label: 'homogeneous', extra: {} },
  ];
  const classes = ['fine_speckled', 'homogeneous'];
  const scores = new Float32Array([0.1, 0.9, 1 / 3, 2 / 3]);
  const text = predictionsCsv(items, ['a,1', 'b'], scores, classes);
  assert.equal(text.split('\n')[0], 'id,path,label,fine_speckled,homogeneous');
  assert.equal(text.split('\n')[1], `"a,1","/data/x, y/a.png",fine_speckled,${Math.fround(0.1)},${Math.fround(0.9)}`);
  const back = predictionsFromRows(parseCsv(text, 'predictions.csv'));
  assert.deepEqual(back.ids, ['a,1', 'b']);
  assert.deepEqual(back.labels, [0, 1]);
  assert.deepEqual(back.scores.flat(), [...scores], 'the exact float32 values, not 6 digits');
  assert.throws(() => predictionsCsv(items, ['zz'], new Float32Array(2), classes), /scored id zz is not among the evaluated items/);
});
