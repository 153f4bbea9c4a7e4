import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitDataset, numFolds } from '../../src/data/split';
import { loadDataset } from '../../src/data/load';
import type { DatasetItem, DatasetSplit } from '../../src/data/types';
import type { SplitConfig } from '../../src/data/schema';
import { config, synthSet } from './helpers';

const split = (kind: SplitConfig['kind'], o: Partial<SplitConfig> = {}): SplitConfig => ({ kind, folds: 5, valFraction: 0.15, testFraction: 0.2, seed: 0, ...o });
const groups = (items: DatasetItem[]) => new Set(items.map((i) => i.group));
const overlap = (a: Set<unknown>, b: Set<unknown>) => [...a].filter((x) => b.has(x));

async function patterns(): Promise<DatasetItem[]> {
  return loadDataset(config({ format: 'icpr2012', root: await synthSet('patterns', 300), image: { mask: true } })).items;
}

function checkPartition(items: DatasetItem[], s: DatasetSplit): void {
  const ids = [...s.train, ...s.val, ...s.test].map((i) => i.id);
  assert.equal(ids.length, items.length, 'every item in exactly one of train/val/test');
  assert.equal(new Set(ids).size, items.length);
}

test('grouped k-fold on the synthetic set never puts a specimen on both sides (train, val, test)', async () => {
  const items = await patterns();
  assert.ok(groups(items).size >= 20, 'the set has specimens');
  for (const kind of ['group-kfold', 'stratified-group-kfold'] as const) {
    const tested = new Map<string, number>();
    for (let fold = 0; fold < 5; fold++) {
      const s = splitDataset(items, split(kind), fold);
      checkPartition(items, s);
      const [tr, va, te] = [groups(s.train), groups(s.val), groups(s.test)];
      assert.deepEqual(overlap(tr, te), [], `${kind} fold ${fold}: train/test share specimens`);
      assert.deepEqual(overlap(tr, va), [], `${kind} fold ${fold}: train/val share specimens`);
      assert.deepEqual(overlap(va, te), [], `${kind} fold ${fold}: val/test share specimens`);
      assert.ok(s.val.length > 0 && s.test.length > 0);
      for (const it of s.test) tested.set(it.id, (tested.get(it.id) ?? 0) + 1);
    }
    assert.equal(tested.size, items.length, `${kind}: the 5 test folds cover every item`);
    assert.ok([...tested.values()].every((n) => n === 1), `${kind}: each item is tested once`);
  }
});

test('stratified k-fold keeps every class within one item of its share per fold; plain k-fold sizes differ by at most one', async () => {
  const items = await patterns();
  const classes = [...new Set(items.map((i) => i.label))];
  const testFolds = Array.from({ length: 5 }, (_, f) => splitDataset(items, split('stratified-kfold'), f).test);
  for (const c of classes) {
    const counts = testFolds.map((t) => t.filter((i) => i.label === c).length);
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `${c}: ${counts}`);
  }
  const sizes = Array.from({ length: 5 }, (_, f) => splitDataset(items, split('kfold'), f).test.length);
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${sizes}`);
});

test('stratified group k-fold spreads classes across folds more evenly than group k-fold', async () => {
  const items = await patterns();
  const classes = [...new Set(items.map((i) => i.label))];
  const unevenness = (kind: 'group-kfold' | 'stratified-group-kfold') => {
    const folds = Array.from({ length: 4 }, (_, f) => splitDataset(items, split(kind, { folds: 4 }), f).test);
    // Mean over classes of the std of the class's share per fold.
    return classes.reduce((sum, c) => {
      const total = items.filter((i) => i.label === c).length;
      const shares = folds.map((t) => t.filter((i) => i.label === c).length / total);
      const m = shares.reduce((a, b) => a + b, 0) / shares.length;
      return sum + Math.sqrt(shares.reduce((a, b) => a + (b - m) ** 2, 0) / shares.length);
    }, 0) / classes.length;
  };
  assert.ok(unevenness('stratified-group-kfold') < unevenness('group-kfold'),
    `stratified ${unevenness('stratified-group-kfold').toFixed(3)} vs plain ${unevenness('group-kfold').toFixed(3)}`);
});

test('splits are seeded: same seed, same split; another seed, another split; folds share one assignment', async () => {
  const items = await patterns();
  const ids = (s: DatasetSplit) => s.test.map((i) => i.id).join(',');
  for (const kind of ['stratified', 'kfold', 'stratified-kfold', 'group-kfold', 'stratified-group-kfold'] as const) {
    assert.equal(ids(splitDataset(items, split(kind), 1)), ids(splitDataset(items, split(kind), 1)), kind);
    assert.notEqual(ids(splitDataset(items, split(kind), 1)), ids(splitDataset(items, split(kind, { seed: 7 }), 1)), kind);
  }
  assert.equal(numFolds(split('stratified-group-kfold', { folds: 4 })), 4);
  assert.equal(numFolds(split('predefined')), 1);
  assert.equal(numFolds(split('stratified')), 1);
});

test('predefined keeps the given test split; with split.groupBy its validation split is grouped too', async () => {
  const items = await patterns();
  const s = splitDataset(items, split('predefined'));
  assert.ok(s.test.every((i) => i.split === 'test'));
  assert.equal(s.test.length, items.filter((i) => i.split === 'test').length);
  const g = splitDataset(items, split('predefined', { groupBy: 'group' }));
  assert.deepEqual(overlap(groups(g.train), groups(g.val)), []);
  const h = splitDataset(items, split('stratified', { groupBy: 'group' }));
  assert.deepEqual(overlap(groups(h.train), groups(h.test)), [], 'grouped stratified hold-out');
});

test('split errors say what to change: no groups, fewer groups than folds, no test items, fold out of range', async () => {
  const items = await patterns();
  const ungrouped = items.map((i, k) => (k % 50 === 0 ? { ...i, group: undefined } : i));
  assert.throws(() => splitDataset(ungrouped, split('group-kfold')), /needs a group \(specimen\/patient\) for every item, but 6 have none[\s\S]*Set dataset.columns.group/);
  const few = items.map((i) => ({ ...i, group: String(Number(i.group) % 3) }));
  assert.throws(() => splitDataset(few, split('stratified-group-kfold')), /needs at least 5 groups, but the items have 3. Lower dataset.split.folds to at most 3/);
  assert.throws(() => splitDataset(items.filter((i) => i.split !== 'test'), split('predefined')), /no item is marked as test/);
  assert.throws(() => splitDataset(items, split('kfold'), 5), /fold 5 is out of range: dataset.split.folds is 5/);
});
