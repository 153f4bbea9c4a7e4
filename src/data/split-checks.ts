// After splitting: every class must have training items, or the model has an
// output it can never learn and the test metrics of that class are noise.
import type { DatasetSplit } from './types';
import { BadInputCollector } from './bad-input';
import { itemLabels } from './labels';

/**
 * Classes without training items are bad input. Under `skip` the class is
 * dropped (and its val/test items with it); the returned class list is then
 * shorter.
 */
export function checkTrainingClasses(split: DatasetSplit, classes: string[], policy: 'fail' | 'skip', what = 'the split'):
  { split: DatasetSplit; classes: string[]; skipped: BadInputCollector['problems'] } {
  const bad = new BadInputCollector();
  const inTrain = new Set(split.train.flatMap(itemLabels));
  const empty = classes.filter((c) => !inTrain.has(c));
  for (const c of empty) {
    const elsewhere = [...split.val, ...split.test].filter((i) => itemLabels(i).includes(c));
    const where = elsewhere.length ? ` (${elsewhere.length} item(s) in val/test, e.g. ${elsewhere[0].path})` : ' (no items at all)';
    bad.add(`class '${c}'`, `has no training items${where}. Add training images of it, use a split that puts some in training (e.g. stratified), or set dataset.onBadInput: skip to drop the class`);
  }
  bad.check(policy, what);
  if (empty.length === 0) return { split, classes, skipped: [] };
  const drop = new Set(empty);
  // Multi-label items lose the dropped labels (and go when none is left).
  const keep = (items: DatasetSplit['train']) => items.flatMap((i) => {
    if (!i.labels) return drop.has(i.label) ? [] : [i];
    const labels = i.labels.filter((l) => !drop.has(l));
    return labels.length === 0 ? [] : labels.length === i.labels.length ? [i] : [{ ...i, labels, label: labels.join('|') }];
  });
  return {
    split: { ...split, val: keep(split.val), test: keep(split.test) },
    classes: classes.filter((c) => !drop.has(c)),
    skipped: bad.problems,
  };
}
