// Dataset summary for notebooks: counts per class x split, and per specimen.
import type { DatasetItem, DatasetSplit } from './types';
import { toDataFrame, type DataFrame, type Row } from './dataframe';
import { itemLabels } from './labels';

type Splits = DatasetItem[] | Pick<DatasetSplit, 'train' | 'val' | 'test'>;

function tagged(s: Splits): { item: DatasetItem; split: string }[] {
  if (Array.isArray(s)) return s.map((item) => ({ item, split: item.split ?? '' }));
  const split = s as Pick<DatasetSplit, 'train' | 'val' | 'test'>;
  return (['train', 'val', 'test'] as const).flatMap((k) => split[k].map((item) => ({ item, split: k })));
}

/** Each item once per label (multi-label items carry several). */
function byLabel(s: Splits): { item: DatasetItem; split: string }[] {
  return tagged(s).flatMap((t) => itemLabels(t.item).map((label) => ({ ...t, item: { ...t.item, label } })));
}

/** One row per class: total and count per split (a multi-label item counts for each of its labels). */
export function classCounts(s: Splits): Row[] {
  const rows = new Map<string, Row>();
  const splits = new Set<string>();
  for (const { item, split } of byLabel(s)) {
    const r = rows.get(item.label) ?? { class: item.label, total: 0 };
    r.total = (r.total as number) + 1;
    const key = split || 'unsplit';
    splits.add(key);
    r[key] = ((r[key] as number) ?? 0) + 1;
    rows.set(item.label, r);
  }
  const out = [...rows.values()].sort((a, b) => String(a.class).localeCompare(String(b.class)));
  for (const r of out) for (const k of splits) r[k] ??= 0;
  return out;
}

/** One row per (specimen, class, split) with its count. */
export function groupCounts(s: Splits): Row[] {
  const rows = new Map<string, Row>();
  for (const { item, split } of byLabel(s)) {
    const group = item.group ?? '';
    const key = `${group}\u0000${item.label}\u0000${split}`;
    const r = rows.get(key) ?? { group, class: item.label, split, n: 0 };
    r.n = (r.n as number) + 1;
    rows.set(key, r);
  }
  return [...rows.values()].sort((a, b) => String(a.group).localeCompare(String(b.group), undefined, { numeric: true }) || String(a.class).localeCompare(String(b.class)));
}

/** Counts per class x split as a danfojs DataFrame. */
export function summaryTable(s: Splits): DataFrame {
  const rows = classCounts(s);
  const cols = ['class', 'total', ...['train', 'val', 'test', 'unsplit'].filter((k) => rows.some((r) => k in r))];
  return toDataFrame(rows, cols);
}

/** Counts per specimen x class x split as a danfojs DataFrame. */
export function groupTable(s: Splits): DataFrame {
  return toDataFrame(groupCounts(s), ['group', 'class', 'split', 'n']);
}
