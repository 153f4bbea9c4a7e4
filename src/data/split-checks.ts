// After splitting: every class must have training items, or the model has an
// output it can never learn and the test metrics of that class are noise.
import type { DatasetSplit } from './types';
import { BadInputCollector } from './bad-input';

/**
 * Classes without training items are bad input. Under `skip` the class is
 * dropped (and its val/test items with it); the returned class list is then
 * shorter.
 */
export function checkTrainingClasses(split: DatasetSplit, classes: string[], policy: 'fail' | 'skip', what = 'the split'):
  { split: DatasetSplit; classes: string[]; skipped: BadInputCollector['problems'] } {
  const bad = new BadInputCollector();
  const inTrain = new Set(split.train.map((i) => i.label));
  const empty = classes.filter((c) => !inTrain.has(c));
  for (const c of empty) {
    const elsewhere = [...split.val, ...split.test].filter((i) => i.label === c);
    const where = elsewhere.length ? ` (${elsewhere.length} item(s) in val/test, e.g. ${elsewhere[0].path})` : ' (no items at all)';
    bad.add(`class '${c}'`, `has no training items${where}. Add training images of it, use a split that puts some in training (e.g. stratified), or set dataset.onBadInput: skip to drop the class`);
  }
  bad.check(policy, what);
  if (empty.length === 0) return { split, classes, skipped: [] };
  const drop = new Set(empty);
  const keep = (items: DatasetSplit['train']) => items.filter((i) => !drop.has(i.label));
  return {
    split: { ...split, val: keep(split.val), test: keep(split.test) },
    classes: classes.filter((c) => !drop.has(c)),
    skipped: bad.problems,
  };
}
