// Splitting items into train / val / test, always seeded. Grouped kinds
// (and any kind with `split.groupBy` set) keep every group (specimen,
// patient) on one side of every cut, validation included. Multi-label items
// (with label sets) are stratified iteratively, and grouped by their group
// (plate, specimen) whenever every item has one.
import type { SplitConfig } from './schema';
import type { DatasetItem, DatasetSplit } from './types';
import { Random, seedFrom } from '../engine/random';
import { DataError } from './bad-input';
import { groupAssign, kfoldAssign, stratifiedAssign, stratifiedGroupAssign } from './split-folds';
import { iterativeItemAssign } from './iterative-stratification';

const KFOLD_KINDS = new Set(['kfold', 'stratified-kfold', 'group-kfold', 'stratified-group-kfold']);
const GROUPED_KINDS = new Set(['group-kfold', 'stratified-group-kfold']);

/** How many trials a split makes: `folds` for k-fold kinds, 1 for hold-out kinds. */
export function numFolds(cfg: Pick<SplitConfig, 'kind' | 'folds'>): number {
  return KFOLD_KINDS.has(cfg.kind) ? cfg.folds : 1;
}

/** The group of an item: `groupBy` names an item field or a manifest column; default the item's group. */
export function groupOf(item: DatasetItem, groupBy?: string): string | undefined {
  if (!groupBy || groupBy === 'group') return item.group;
  if (groupBy === 'label') return item.label;
  return item.extra[groupBy] ?? item.extra[Object.keys(item.extra).find((k) => k.toLowerCase() === groupBy.toLowerCase()) ?? ''];
}

function requireGroups(items: DatasetItem[], cfg: SplitConfig): string[] {
  const groups = items.map((it) => groupOf(it, cfg.groupBy));
  const missing = items.filter((_, i) => groups[i] === undefined || groups[i] === '');
  if (missing.length) {
    const list = missing.slice(0, 20).map((it) => `  - ${it.source ?? it.path}`).join('\n');
    throw new DataError(`dataset.split.kind ${cfg.kind} needs a group (specimen/patient) for every item, but ${missing.length} have none` +
      `${cfg.groupBy ? ` in '${cfg.groupBy}'` : ''}:\n${list}${missing.length > 20 ? `\n  ... and ${missing.length - 20} more` : ''}\n` +
      'Set dataset.columns.group (or dataset.split.groupBy) to the column naming the specimen, or choose an ungrouped split kind.');
  }
  return groups as string[];
}

/** Multi-label items: those carrying label sets. */
function isMultiLabel(items: DatasetItem[]): boolean {
  return items.length > 0 && items.every((i) => i.labels !== undefined);
}

/** Label indices of multi-label items (labels sorted by name for a stable numbering). */
function labelIndices(items: DatasetItem[]): { labels: number[][]; count: number } {
  const names = [...new Set(items.flatMap((i) => i.labels!))].sort();
  const index = new Map(names.map((n, k) => [n, k]));
  return { labels: items.map((i) => i.labels!.map((l) => index.get(l)!)), count: names.length };
}

/**
 * Multi-label hold-out of about `fraction` of the items by iterative stratification: every
 * label with at least two items (groups, when grouped) lands on both sides.
 */
export function multiLabelHoldout(items: DatasetItem[], fraction: number, seed: number, groups?: string[]): { kept: DatasetItem[]; held: DatasetItem[] } {
  if (fraction <= 0 || items.length === 0) return { kept: [...items], held: [] };
  if (groups && new Set(groups).size < 2) return { kept: [...items], held: [] };
  const { labels, count } = labelIndices(items);
  const fold = iterativeItemAssign(labels, count, [fraction, 1 - fraction], seed, groups);
  return { kept: items.filter((_, i) => fold[i] !== 0), held: items.filter((_, i) => fold[i] === 0) };
}

/** Stratified hold-out: take `fraction` of each class (at least one when the class has >= 2 items). */
export function stratifiedHoldout(items: DatasetItem[], fraction: number, seed: number): { kept: DatasetItem[]; held: DatasetItem[] } {
  if (fraction <= 0) return { kept: [...items], held: [] };
  if (isMultiLabel(items)) return multiLabelHoldout(items, fraction, seed);
  const rng = new Random(seed);
  const byClass = new Map<string, DatasetItem[]>();
  for (const it of items) byClass.set(it.label, [...(byClass.get(it.label) ?? []), it]);
  const held = new Set<DatasetItem>();
  for (const label of [...byClass.keys()].sort()) {
    const members = rng.shuffle([...byClass.get(label)!]);
    const k = members.length >= 2 ? Math.max(1, Math.round(members.length * fraction)) : 0;
    members.slice(0, k).forEach((m) => held.add(m));
  }
  return { kept: items.filter((i) => !held.has(i)), held: items.filter((i) => held.has(i)) };
}

/**
 * Grouped hold-out of about `fraction` of the items: one fold of a stratified
 * group k-fold with k = round(1 / fraction), so classes stay balanced as far as
 * whole groups allow.
 */
export function groupHoldout(items: DatasetItem[], fraction: number, seed: number, groupBy?: string): { kept: DatasetItem[]; held: DatasetItem[] } {
  if (fraction <= 0 || items.length === 0) return { kept: [...items], held: [] };
  const groups = items.map((it) => groupOf(it, groupBy) ?? `\u0000${it.id}`);
  const distinct = new Set(groups).size;
  if (distinct < 2) return { kept: [...items], held: [] };
  if (isMultiLabel(items)) return multiLabelHoldout(items, fraction, seed, groups);
  const k = Math.min(distinct, Math.max(2, Math.round(1 / fraction)));
  const fold = stratifiedGroupAssign(items.map((i) => i.label), groups, k, seed);
  return { kept: items.filter((_, i) => fold[i] !== 0), held: items.filter((_, i) => fold[i] === 0) };
}

function holdout(items: DatasetItem[], fraction: number, seed: number, cfg: SplitConfig, grouped: boolean) {
  return grouped ? groupHoldout(items, fraction, seed, cfg.groupBy) : stratifiedHoldout(items, fraction, seed);
}

function kfold(items: DatasetItem[], cfg: SplitConfig, fold: number, seed: number): DatasetSplit {
  const k = cfg.folds;
  if (!Number.isInteger(fold) || fold < 0 || fold >= k) {
    throw new DataError(`fold ${fold} is out of range: dataset.split.folds is ${k} (folds 0..${k - 1})`);
  }
  const labels = items.map((i) => i.label);
  let assign: Int32Array;
  const grouped = GROUPED_KINDS.has(cfg.kind);
  if (grouped) {
    const groups = requireGroups(items, cfg);
    const distinct = new Set(groups).size;
    if (distinct < k) {
      throw new DataError(`dataset.split.kind ${cfg.kind} with ${k} folds needs at least ${k} groups, but the items have ${distinct}. Lower dataset.split.folds to at most ${distinct}.`);
    }
    assign = cfg.kind === 'group-kfold' ? groupAssign(groups, k, seed)
      : isMultiLabel(items) ? iterativeItemAssign(labelIndices(items).labels, labelIndices(items).count, new Array(k).fill(1), seed, groups)
        : stratifiedGroupAssign(labels, groups, k, seed);
  } else {
    if (items.length < k) throw new DataError(`dataset.split.folds is ${k} but there are only ${items.length} items: lower dataset.split.folds`);
    const ml = cfg.kind === 'stratified-kfold' && isMultiLabel(items) ? labelIndices(items) : undefined;
    const groups = ml && multiLabelGroups(items, cfg);
    assign = cfg.kind === 'kfold' ? kfoldAssign(items.length, k, seed)
      : ml ? iterativeItemAssign(ml.labels, ml.count, new Array(k).fill(1), seed, groups) : stratifiedAssign(labels, k, seed);
  }
  const test = items.filter((_, i) => assign[i] === fold);
  const rest = items.filter((_, i) => assign[i] !== fold);
  const v = holdout(rest, cfg.valFraction, seedFrom(seed, 'val', fold), cfg, grouped || !!cfg.groupBy || !!multiLabelGroups(rest, cfg));
  return { train: v.kept, val: v.held, test, fold, folds: k };
}

/** Multi-label items stay with their group (plate, specimen) whenever every item has one. */
function multiLabelGroups(items: DatasetItem[], cfg: SplitConfig): string[] | undefined {
  if (!isMultiLabel(items)) return undefined;
  const groups = items.map((it) => groupOf(it, cfg.groupBy));
  return groups.every((g) => g !== undefined && g !== '') ? groups as string[] : undefined;
}

/**
 * Train / val / test for one trial. k-fold kinds hold out fold `fold`
 * (0-based; default 0) as test and take `valFraction` of the rest as val.
 */
export function splitDataset(items: DatasetItem[], cfg: SplitConfig, fold?: number): DatasetSplit {
  const seed = seedFrom(cfg.seed, 'split', cfg.kind);
  const grouped = !!cfg.groupBy || !!multiLabelGroups(items, cfg);
  if (KFOLD_KINDS.has(cfg.kind)) return kfold(items, cfg, fold ?? 0, seed);
  switch (cfg.kind) {
    case 'predefined': {
      const test = items.filter((i) => i.split === 'test');
      const given = items.filter((i) => i.split === 'val');
      const train = items.filter((i) => i.split === 'train' || i.split === undefined);
      if (test.length === 0) {
        throw new DataError('dataset.split.kind is predefined but no item is marked as test. Use a dataset with a test split (a split column, test/ folder), or choose another dataset.split.kind (e.g. stratified or stratified-group-kfold).');
      }
      if (given.length) return { train, val: given, test };
      const { kept, held } = holdout(train, cfg.valFraction, seedFrom(seed, 'val'), cfg, grouped);
      return { train: kept, val: held, test };
    }
    case 'stratified': {
      if (grouped) requireGroups(items, cfg);
      const t = holdout(items, cfg.testFraction, seedFrom(seed, 'test'), cfg, grouped);
      const v = holdout(t.kept, cfg.valFraction / Math.max(1e-9, 1 - cfg.testFraction), seedFrom(seed, 'val'), cfg, grouped);
      return { train: v.kept, val: v.held, test: t.held };
    }
    default:
      throw new DataError(`dataset.split.kind ${cfg.kind as string} is unknown. Use one of predefined, stratified, kfold, stratified-kfold, group-kfold, stratified-group-kfold.`);
  }
}
