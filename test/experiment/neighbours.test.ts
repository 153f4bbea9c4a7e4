import { test } from 'node:test';
import assert from 'node:assert/strict';
import { queryNeighbours, readEmbeddingTable } from '../../src/experiment/neighbours';
import { encodeNpy } from '../../src/eval/npy';

// 3 classes on 3 axes (plus a little of the others), 4 images each, in test; 2 in train.
const classes = ['a', 'b', 'c'];
const rows: { id: string; label: string; split: string; v: number[] }[] = [];
classes.forEach((c, k) => {
  for (let i = 0; i < 4; i++) rows.push({ id: `${c}${i}`, label: c, split: 'test', v: [0, 1, 2].map((j) => (j === k ? 1 : 0.1 * (i + 1) * (j + 1) / 6)) });
  rows.push({ id: `${c}-train`, label: c, split: 'train', v: [0, 1, 2].map((j) => (j === k ? 1 : 0)) });
});
const csv = ['id,path,label,split', ...rows.map((r) => `${r.id},/img/${r.id}.png,${r.label},${r.split}`)].join('\n') + '\n';
const npy = encodeNpy(Float32Array.from(rows.flatMap((r) => r.v)), [rows.length, 3]);

test('neighbours of queries drawn one class after another, within the split, nearest first, the query left out', () => {
  const t = readEmbeddingTable(npy, csv);
  assert.equal(t.dim, 3);
  assert.deepEqual(t.paths[0], '/img/a0.png');
  const found = queryNeighbours(t, { queries: 4, k: 3 });
  assert.deepEqual(found.map((r) => r.label), ['a', 'b', 'c', 'a']);
  for (const r of found) {
    assert.equal(r.neighbours.length, 3);
    assert.ok(r.neighbours.every((n) => n.id !== r.query && !n.id.endsWith('-train')), JSON.stringify(r));
    assert.ok(r.neighbours.every((n, i) => i === 0 || n.similarity <= r.neighbours[i - 1].similarity));
    assert.equal(r.precision, 1, 'separable classes: every neighbour shares the class');
  }
  assert.deepEqual(queryNeighbours(t, { queries: 4, k: 3 }), found, 'seeded');
  // k is capped by the split's size; another split can be searched.
  assert.equal(queryNeighbours(t, { queries: 1, k: 50 })[0].neighbours.length, 11);
  assert.equal(queryNeighbours(t, { split: 'train', queries: 3, k: 1 })[0].neighbours[0].id.endsWith('-train'), true);
});

test('a table whose files disagree, or a split with no images, says so', () => {
  assert.throws(() => readEmbeddingTable(encodeNpy(new Float32Array(6), [2, 3]), csv), /embeddings\.npy is \[2, 3\] but index\.csv lists 15 images/);
  assert.throws(() => readEmbeddingTable(npy, csv.replace('split', 'fold')), /no `split` column/);
  assert.throws(() => queryNeighbours(readEmbeddingTable(npy, csv), { split: 'val' }), /0 image\(s\) of split 'val'; splits: test, train/);
});
