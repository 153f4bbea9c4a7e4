import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classCounts, groupCounts, summaryTable } from '../../src/data/summary';
import type { DatasetItem } from '../../src/data/types';

const it = (label: string, split: 'train' | 'val' | 'test', group: string): DatasetItem => ({ id: `${label}${split}${group}${Math.random()}`, path: '', label, split, group, extra: {} });

test('counts per class x split and per specimen', () => {
  const split = { train: [it('a', 'train', '1'), it('a', 'train', '1'), it('b', 'train', '2')], val: [it('b', 'val', '3')], test: [it('a', 'test', '4')] };
  assert.deepEqual(classCounts(split), [{ class: 'a', total: 3, train: 2, test: 1, val: 0 }, { class: 'b', total: 2, train: 1, val: 1, test: 0 }]);
  assert.deepEqual(groupCounts(split).map((r) => [r.group, r.class, r.split, r.n]), [['1', 'a', 'train', 2], ['2', 'b', 'train', 1], ['3', 'b', 'val', 1], ['4', 'a', 'test', 1]]);
  const df = summaryTable(split);
  assert.deepEqual(df.columns, ['class', 'total', 'train', 'val', 'test']);
  assert.deepEqual(df.values, [['a', 3, 2, 0, 1], ['b', 2, 1, 1, 0]]);
});
