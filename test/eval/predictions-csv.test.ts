import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCsv } from '../../src/data/csv';
import { predictionsFromRows } from '../../src/eval/predictions-csv';

// The text goes through cellab's one CSV reader (data/csv.ts), as in `cellab evaluate`.
const readPredictionsCsv = (text: string, o?: Parameters<typeof predictionsFromRows>[1]) => predictionsFromRows(parseCsv(text, 'p.csv'), o);

test('a multi-class predictions.csv: label by class name, one score column per class, text columns ignored', () => {
  const csv = 'id,path,label,homogeneous,speckled,nucleolar\r\n' +
    'c1,"data/a,b.png",speckled,0.1,0.8,0.1\r\n' +
    'c2,data/c.png,nucleolar,0.2,0.2,0.6\r\n' +
    'c3,data/d.png,0,0.7,0.2,0.1\r\n';
  const t = readPredictionsCsv(csv);
  assert.deepEqual(t.classNames, ['homogeneous', 'speckled', 'nucleolar']);
  assert.deepEqual(t.labels, [1, 2, 0]); // a class index works too
  assert.deepEqual(t.scores[0], [0.1, 0.8, 0.1]);
  assert.deepEqual(t.ids, ['c1', 'c2', 'c3']);
  assert.equal(t.positive, undefined);
});

test('a single score column is the positive class of a binary problem', () => {
  // Numeric ids are not scores.
  const t = readPredictionsCsv('id,truth,score\n1,negative,0.2\n2,positive,0.9\n3,negative,0.4\n', { labelCol: 'truth' });
  assert.deepEqual(t.classNames, ['negative', 'positive']);
  assert.deepEqual(t.labels, [0, 1, 0]);
  assert.deepEqual(t.scores[1], [1 - 0.9, 0.9]);
  assert.equal(t.positive, 1);
  assert.deepEqual(t.ids, ['1', '2', '3']);
  // --positive picks the other label; 0/1 labels sort numerically.
  assert.deepEqual(readPredictionsCsv('label,p\nneg,0.2\npos,0.9\n', { positive: 'neg' }).classNames, ['pos', 'neg']);
  assert.deepEqual(readPredictionsCsv('label,p\n10,0.2\n9,0.9\n').classNames, ['9', '10']);
  // Two class columns with --positive: the index of that class.
  assert.equal(readPredictionsCsv('label,neg,pos\nneg,0.8,0.2\npos,0.1,0.9\n', { positive: 'neg' }).positive, 0);
});

test('bad predictions files get errors that say where and what to do', () => {
  assert.throws(() => readPredictionsCsv('id,y,a,b\n1,a,0.5,0.5\n'), /label column `label` is not in the header\. Columns: id, y, a, b \(choose one with --label-col\)/);
  assert.throws(() => readPredictionsCsv('label,a,b\na,0.5,0.5\nz,0.1,0.9\n'), /line 3: label `z` is neither a class \(score column\) nor a class index\. Classes: a, b/);
  assert.throws(() => readPredictionsCsv('label,a,b\na,0.5\n'), /p\.csv:2: 2 cell\(s\) but the header \(line 1\) has 3/);
  // Rows handed over by another reader are checked too.
  assert.throws(() => predictionsFromRows({ header: ['label', 'a', 'b'], rows: [{ line: 7, cells: ['a', '0.5'] }] }), /line 7 has 2 fields; the header has 3/);
  assert.throws(() => readPredictionsCsv('label,s\na,0.1\nb,0.2\nc,0.3\n'), /exactly two labels.*labels found: a, b, c/);
});

test('a `;`-separated file with a quoted id and a path holding a newline reads like a `,` one', () => {
  const t = readPredictionsCsv('id;path;label;a;b\r\n"x;1";"p\nq.png";a;0.9;0.1\r\n');
  assert.deepEqual(t.ids, ['x;1']);
  assert.deepEqual(t.classNames, ['a', 'b']);
  assert.deepEqual(t.scores, [[0.9, 0.1]]);
});
