// Bags: the images of one patient (or slide, or specimen) learned from
// together, with one label and one row of clinical metadata per bag
// (`dataset.bags` names the item field or manifest column that says which
// bag an image belongs to). Splits work on whole bags, so no patient is on
// both sides of any cut; stratification counts patients, not images.
import type { DatasetConfig, MetadataColumnConfig, SplitConfig } from './schema';
import type { DatasetItem, DatasetSplit } from './types';
import { BadInputCollector } from './bad-input';
import { groupOf, splitDataset } from './split';

export interface Bag {
  id: string;
  /** The bag's label: every image of a bag carries it. */
  label: string;
  /** Its images, in id order. */
  items: DatasetItem[];
  /** Bag-level columns (metadata and any other requested), from its images' rows. */
  values: Record<string, string>;
  /** `split.groupBy` of the bag (default: the bag itself). */
  group: string;
}

export interface BagSplit {
  train: Bag[];
  val: Bag[];
  test: Bag[];
  fold?: number;
  folds?: number;
}

/** The column name of each `dataset.metadata` entry. */
export function metadataColumns(cfg: Pick<DatasetConfig, 'metadata'>): string[] {
  return (cfg.metadata ?? []).map((m) => (typeof m === 'string' ? m : m.column));
}

/** A bag-level column of an item (case-insensitive, as groupOf reads columns). */
export function columnOf(item: DatasetItem, column: string): string | undefined {
  return groupOf(item, column)?.trim();
}

/**
 * Group items into bags. Bad input (added to `bad`; the whole bag is left
 * out): an image with no bag, a bag whose images disagree on the label or on
 * a bag-level column (`columns`: the metadata and e.g. an auxiliary target),
 * a bag with no value in such a column.
 */
export function groupBags(items: DatasetItem[], cfg: Pick<DatasetConfig, 'bags' | 'metadata' | 'split'>, bad: BadInputCollector, extraColumns: string[] = []): Bag[] {
  const key = cfg.bags || 'group';
  const columns = [...new Set([...metadataColumns(cfg), ...extraColumns])];
  const byBag = new Map<string, DatasetItem[]>();
  for (const it of items) {
    const b = columnOf(it, key);
    if (!b) { bad.add(it.source ?? it.path, `no bag: the column \`${key}\` (dataset.bags) is empty or missing for ${it.id}. Fill it in, or set dataset.bags to the column naming the patient`, it.id); continue; }
    byBag.set(b, [...(byBag.get(b) ?? []), it]);
  }
  const bags: Bag[] = [];
  for (const [id, members] of [...byBag.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const first = members[0];
    const where = first.source ?? first.path;
    const labels = [...new Set(members.map((m) => m.label))].sort();
    if (labels.length > 1) {
      const counts = labels.map((l) => `${l} (${members.filter((m) => m.label === l).length} images)`);
      bad.add(where, `bag '${id}' mixes labels ${counts.join(', ')}: a bag has one label (dataset.bags = ${key}). Fix the labels of its images`, first.id);
      continue;
    }
    const values: Record<string, string> = {};
    let ok = true;
    for (const c of columns) {
      const seen = [...new Set(members.map((m) => columnOf(m, c) ?? ''))];
      if (seen.length > 1) {
        bad.add(where, `bag '${id}' has different values of \`${c}\` across its images (${seen.slice(0, 4).join(', ')}): bag-level columns must agree`, first.id);
        ok = false;
      } else if (seen[0] === '') {
        const known = Object.keys(first.extra);
        bad.add(where, `bag '${id}' has no value in column \`${c}\`${known.some((k) => k.toLowerCase() === c.toLowerCase()) ? '' : ` (columns: ${known.join(', ')})`}. Fill it in or remove the column from dataset.metadata`, first.id);
        ok = false;
      } else values[c] = seen[0];
    }
    if (!ok) continue;
    const group = cfg.split.groupBy ? columnOf(first, cfg.split.groupBy) || id : id;
    bags.push({ id, label: labels[0], items: members, values, group });
  }
  return bags;
}

/**
 * Split whole bags with `dataset.split` (stratified on bag labels; grouped
 * kinds and `groupBy` keep bags of one group together). Predefined splits
 * take each bag's split from its images, which must agree.
 */
export function splitBags(bags: Bag[], cfg: SplitConfig, fold?: number, bad?: BadInputCollector): BagSplit {
  const byId = new Map(bags.map((b) => [b.id, b]));
  const units: DatasetItem[] = [];
  for (const b of bags) {
    const splits = [...new Set(b.items.map((i) => i.split ?? ''))];
    if (cfg.kind === 'predefined' && splits.length > 1) {
      bad?.add(b.items[0].source ?? b.items[0].path, `bag '${b.id}' has images in several splits (${splits.map((s) => s || 'none').join(', ')}): a patient belongs to one split`, b.items[0].id);
      continue;
    }
    units.push({ id: b.id, path: b.items[0].path, label: b.label, group: b.group, extra: {}, ...(splits[0] ? { split: splits[0] as DatasetItem['split'] } : {}) });
  }
  // Groups are already on the units: a grouped split reads `group`, not a column.
  const s = splitDataset(units, { ...cfg, groupBy: cfg.groupBy ? 'group' : undefined }, fold);
  const back = (us: DatasetItem[]) => us.map((u) => byId.get(u.id)!);
  return { train: back(s.train), val: back(s.val), test: back(s.test), fold: s.fold, folds: s.folds };
}

/** The images of split bags, as an item split (what decoding and sources work on). */
export function bagItems(s: BagSplit): DatasetSplit {
  const flat = (bs: Bag[]) => bs.flatMap((b) => b.items);
  return { train: flat(s.train), val: flat(s.val), test: flat(s.test), ...(s.fold !== undefined ? { fold: s.fold, folds: s.folds } : {}) };
}

/** Items grouped into bags then split by bag: `splitDataset` for `dataset.bags`. Bad bags are added to `bad`. */
export function splitByBag(items: DatasetItem[], cfg: DatasetConfig, fold: number | undefined, bad: BadInputCollector, extraColumns: string[] = []): DatasetSplit {
  return bagItems(splitBags(groupBags(items, cfg, bad, extraColumns), cfg.split, fold, bad));
}

/** The bags of an item split (after decoding dropped bad images: a bag keeps the images that remain). */
export function regroup(split: DatasetSplit, cfg: Pick<DatasetConfig, 'bags' | 'metadata' | 'split'>, extraColumns: string[] = []): BagSplit {
  const bad = new BadInputCollector();
  const g = (items: DatasetItem[]) => groupBags(items, cfg, bad, extraColumns);
  return { train: g(split.train), val: g(split.val), test: g(split.test), fold: split.fold, folds: split.folds };
}

export type { MetadataColumnConfig };
