// Bags (patients): grouping images, bad bags reported, and splits that keep
// every patient whole and stratify by patient, not by image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupBags, splitBags, splitByBag, type Bag } from '../../src/data/bags';
import { BadInputCollector } from '../../src/data/bad-input';
import { planPatients } from '../../src/data/synth/index';
import { Random } from '../../src/engine/random';
import type { DatasetItem } from '../../src/data/types';
import type { DatasetConfig, SplitConfig } from '../../src/data/schema';
import { config } from './helpers';

/** One item per cell of 163 synthetic patients (5-50 each), as the dlmi loader makes them. */
function patientItems(n = 163): DatasetItem[] {
  return planPatients(n, 0, new Random(3)).flatMap((p) => Array.from({ length: p.cells }, (_, k) => ({
    id: `${p.id}/${k}`, path: `/data/trainset/${p.id}/${k}.jpg`, label: p.label === 1 ? 'malignant' : 'reactive', group: p.id,
    extra: { ID: p.id, AGE: String(p.age), LYMPH_COUNT: String(p.count), GENDER: p.gender.toUpperCase() }, source: `annotation.csv:${k}`,
  })));
}

const cfg = (o: Record<string, unknown> = {}): DatasetConfig => config({ format: 'dlmi', root: '/nowhere', bags: 'ID', metadata: ['AGE', 'LYMPH_COUNT'], ...o });
const split = (kind: SplitConfig['kind'], o: Partial<SplitConfig> = {}): SplitConfig => ({ kind, folds: 5, valFraction: 0.2, testFraction: 0.2, seed: 0, ...o });
const ids = (bags: Bag[]) => new Set(bags.map((b) => b.id));
const overlap = (a: Set<string>, b: Set<string>) => [...a].filter((x) => b.has(x));

test('stratified 5-fold over patients: no patient on both sides of any fold, every patient tested once, classes balanced by patient', () => {
  const items = patientItems();
  const bad = new BadInputCollector();
  const bags = groupBags(items, cfg(), bad);
  assert.deepEqual(bad.problems, []);
  assert.equal(bags.length, 163);
  const tested = new Map<string, number>();
  const share = bags.filter((b) => b.label === 'reactive').length / bags.length;
  for (let fold = 0; fold < 5; fold++) {
    const s = splitBags(bags, split('stratified-kfold'), fold);
    const [tr, va, te] = [ids(s.train), ids(s.val), ids(s.test)];
    assert.deepEqual(overlap(tr, te), [], `fold ${fold}: train/test share patients`);
    assert.deepEqual(overlap(tr, va), [], `fold ${fold}: train/val share patients`);
    assert.deepEqual(overlap(va, te), [], `fold ${fold}: val/test share patients`);
    assert.equal(tr.size + va.size + te.size, 163);
    // Stratified by patient: each test fold holds the reactive share within one patient.
    const reactive = s.test.filter((b) => b.label === 'reactive').length;
    assert.ok(Math.abs(reactive - share * s.test.length) <= 1, `fold ${fold}: ${reactive} reactive of ${s.test.length}`);
    assert.ok(s.val.some((b) => b.label === 'reactive') && s.val.some((b) => b.label === 'malignant'), 'validation holds both classes');
    for (const b of s.test) tested.set(b.id, (tested.get(b.id) ?? 0) + 1);
  }
  assert.equal(tested.size, 163, 'the 5 test folds cover every patient');
  assert.ok([...tested.values()].every((n) => n === 1));
});

test('at the image level every image of a patient lands on its patient\'s side', () => {
  const items = patientItems();
  for (let fold = 0; fold < 5; fold++) {
    const s = splitByBag(items, cfg({ split: split('stratified-kfold') }), fold, new BadInputCollector());
    const side = new Map<string, string>();
    for (const [name, list] of Object.entries({ train: s.train, val: s.val, test: s.test })) {
      for (const it of list) {
        const prev = side.get(it.group!);
        assert.ok(prev === undefined || prev === name, `patient ${it.group} is in ${prev} and ${name}`);
        side.set(it.group!, name);
      }
    }
    assert.equal(s.train.length + s.val.length + s.test.length, items.length);
  }
});

test('grouped kinds keep bags of one group together (split.groupBy), hold-out kinds work on bags too', () => {
  const items = patientItems(60).map((it) => ({ ...it, extra: { ...it.extra, SITE: `site${Number(it.group!.slice(1)) % 7}` } }));
  const bags = groupBags(items, cfg({ split: { groupBy: 'SITE' } }), new BadInputCollector());
  for (let fold = 0; fold < 3; fold++) {
    const s = splitBags(bags, split('stratified-group-kfold', { folds: 3, groupBy: 'SITE' }), fold);
    const sites = (bs: Bag[]) => new Set(bs.map((b) => b.group));
    assert.deepEqual(overlap(sites(s.train), sites(s.test)), []);
    assert.deepEqual(overlap(sites(s.val), sites(s.test)), []);
  }
  const h = splitBags(bags, split('stratified'), undefined);
  assert.equal(h.train.length + h.val.length + h.test.length, 60);
  assert.ok(Math.abs(h.test.length - 12) <= 2, `${h.test.length} test patients of 60 at testFraction 0.2`);
});

test('bad bags are reported and left out whole: mixed labels, disagreeing metadata, no bag, no metadata value', () => {
  const items = patientItems(10);
  const [p1, p2, p3] = [...new Set(items.map((i) => i.group!))];
  const broken = items.map((it) => {
    if (it.group === p1 && it.id.endsWith('/1')) return { ...it, label: it.label === 'reactive' ? 'malignant' : 'reactive' };
    if (it.group === p2 && it.id.endsWith('/1')) return { ...it, extra: { ...it.extra, AGE: '99' } };
    if (it.group === p3) return { ...it, extra: { ...it.extra, LYMPH_COUNT: '' } };
    return it;
  });
  broken.push({ id: 'stray', path: '/x.jpg', label: 'reactive', extra: {}, source: 'annotation.csv:99' });
  const bad = new BadInputCollector();
  const bags = groupBags(broken, cfg(), bad);
  assert.equal(bags.length, 7);
  assert.ok(![p1, p2, p3].some((p) => bags.some((b) => b.id === p)));
  const text = bad.problems.map((p) => `${p.where}: ${p.problem}`).join('\n');
  assert.match(text, new RegExp(`bag '${p1}' mixes labels malignant \\(\\d+ images\\), reactive \\(\\d+ images\\)`));
  assert.match(text, new RegExp(`bag '${p2}' has different values of \`AGE\``));
  assert.match(text, new RegExp(`bag '${p3}' has no value in column \`LYMPH_COUNT\``));
  assert.match(text, /annotation\.csv:99: no bag: the column `ID` \(dataset\.bags\) is empty or missing for stray/);
});

test('a bag-level column is read case-insensitively and from the item field `group`', () => {
  const items = patientItems(6);
  const a = groupBags(items, cfg({ bags: 'group', metadata: ['age', 'lymph_count'] }), new BadInputCollector());
  assert.equal(a.length, 6);
  assert.equal(a[0].values.age, items.find((i) => i.group === a[0].id)!.extra.AGE);
});
