// Anomaly filter on mean intensity (the protein study: drop an image whose
// mean intensity is more than k std from its class mean). Run it on the
// training split only: the statistics must not see val/test. A multi-label
// image belongs to the class of each of its labels; it is dropped when it is
// beyond the limit in every one of them that could judge it.
import type { DatasetItem } from './types';
import type { AnomalyFilterConfig } from './schema';
import { groupOf } from './split';
import { itemLabels } from './labels';
import { toDataFrame, type DataFrame, type Row } from './dataframe';
import { formatCsvRecords } from './csv';
import { anomalyGallery, type AnomalyGalleryOptions, type Gallery } from './gallery';
import { showGallery } from './display';

export interface AnomalyOptions {
  /** k: how many standard deviations count as anomalous (default 3). */
  std?: number;
  method?: AnomalyFilterConfig['method'];
  /** Mean intensity (0..1, inside the mask) of each item, by id. */
  means: ReadonlyMap<string, number> | Record<string, number>;
  /** Group (specimen) field for method `specimen` (default: the item's group). */
  groupBy?: string;
}

export interface DroppedItem {
  item: DatasetItem;
  id: string;
  path: string;
  label: string;
  group?: string;
  mean: number;
  /** Plain statistics of the item's class (training split). */
  classMean: number;
  classStd: number;
  /** Signed distance in the method's standard deviations. */
  z: number;
  reason: string;
}

export interface ClassIntensity { label: string; n: number; mean: number; std: number }

export interface AnomalyResult {
  kept: DatasetItem[];
  dropped: DroppedItem[];
  classes: ClassIntensity[];
  std: number;
  method: AnomalyFilterConfig['method'];
  /** Dropped items as a danfojs DataFrame (for notebooks: `.dropped` as a table). */
  table(): DataFrame;
  /** Dropped items as CSV (logged with the run as `data/anomalies.csv`). */
  toCsv(): string;
  /** The measured mean intensity of an item (dropped or kept). */
  mean(id: string): number | undefined;
  /** Dropped images as thumbnails with their z-score, beside typical images of their class (a picture in notebooks). */
  show(o?: AnomalyGalleryOptions): Promise<Gallery>;
}

export const ANOMALY_COLUMNS = ['id', 'path', 'label', 'group', 'mean', 'class_mean', 'class_std', 'z', 'reason'];

function meanStd(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  return { mean, std: Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Robust std: 1.4826 x median absolute deviation (equals the std for normal data). */
function robustStd(xs: number[], center: number): number {
  return 1.4826 * median(xs.map((x) => Math.abs(x - center)));
}

const fmt = (x: number) => x.toPrecision(3);

/**
 * Split `items` into kept and dropped by mean intensity. Classes with fewer
 * than 3 items are kept whole (no meaningful spread).
 */
export function filterByMeanIntensity(items: DatasetItem[], o: AnomalyOptions): AnomalyResult {
  const k = o.std ?? 3;
  const method = o.method ?? 'class';
  const means = o.means;
  const lookup = (id: string): number | undefined => (means instanceof Map ? means.get(id) : (means as Record<string, number>)[id]);
  const missing = items.filter((it) => lookup(it.id) === undefined);
  if (missing.length) {
    throw new Error(`no mean intensity for ${missing.length} item(s) (e.g. ${missing[0].id}): measure every item passed to filterByMeanIntensity`);
  }
  const value = (it: DatasetItem) => lookup(it.id)!;
  const byClass = new Map<string, DatasetItem[]>();
  for (const it of items) for (const l of itemLabels(it)) byClass.set(l, [...(byClass.get(l) ?? []), it]);

  // Per item: in how many of its classes it could be judged, and the verdicts against it.
  const judgedIn = new Map<DatasetItem, number>();
  const flagged = new Map<DatasetItem, DroppedItem[]>();
  const judge = (it: DatasetItem) => judgedIn.set(it, (judgedIn.get(it) ?? 0) + 1);
  const drop = { set: (it: DatasetItem, d: DroppedItem) => flagged.set(it, [...(flagged.get(it) ?? []), d]) };
  const classes: ClassIntensity[] = [];
  for (const label of [...byClass.keys()].sort()) {
    const members = byClass.get(label)!;
    const stats = meanStd(members.map(value));
    classes.push({ label, n: members.length, ...stats });
    if (members.length < 3) continue;
    const base = (it: DatasetItem, z: number, reason: string): DroppedItem => ({
      item: it, id: it.id, path: it.path, label, ...(groupOf(it, o.groupBy) !== undefined ? { group: groupOf(it, o.groupBy) } : {}),
      mean: value(it), classMean: stats.mean, classStd: stats.std, z, reason,
    });
    if (method === 'class') {
      if (stats.std === 0) continue;
      for (const it of members) {
        judge(it);
        const z = (value(it) - stats.mean) / stats.std;
        if (Math.abs(z) > k) {
          drop.set(it, base(it, z, `mean intensity ${fmt(value(it))} is ${fmt(Math.abs(z))} std ${z > 0 ? 'above' : 'below'} the class mean ${fmt(stats.mean)} (std ${fmt(stats.std)}; limit ${k})`));
        }
      }
      continue;
    }
    // method specimen: log intensity relative to the specimen's median, robust spread per class.
    const logv = (it: DatasetItem) => Math.log(Math.max(value(it), 1e-4));
    const byGroup = new Map<string, DatasetItem[]>();
    for (const it of members) {
      const g = groupOf(it, o.groupBy) ?? '\u0000ungrouped';
      byGroup.set(g, [...(byGroup.get(g) ?? []), it]);
    }
    // Each item against the median of the OTHER cells of its specimen: with a
    // handful of cells per specimen, including the item itself would pull the
    // reference towards it and shrink the spread.
    const ref = new Map<DatasetItem, number>();
    for (const group of byGroup.values()) {
      const logs = group.map(logv);
      group.forEach((it, i) => {
        if (group.length >= 3) ref.set(it, median(logs.filter((_, j) => j !== i)));
      });
    }
    // Specimens with fewer than 3 cells in this class give no reference: their cells are kept.
    const judged = members.filter((it) => ref.has(it));
    if (judged.length < 3) continue;
    const residuals = judged.map((it) => logv(it) - ref.get(it)!);
    const center = median(residuals);
    const spread = robustStd(residuals, center);
    if (spread === 0) continue;
    judged.forEach((it, i) => {
      judge(it);
      const z = (residuals[i] - center) / spread;
      if (Math.abs(z) > k) {
        const times = Math.exp(residuals[i]);
        drop.set(it, base(it, z, `mean intensity ${fmt(value(it))} is ${fmt(times)}x its specimen's median ${fmt(Math.exp(ref.get(it)!))}: ` +
          `${fmt(Math.abs(z))} robust std ${z > 0 ? 'above' : 'below'} (class ${label}; limit ${k})`));
      }
    });
  }
  // Dropped when flagged in every class that judged it (single-label: its one class).
  const out = new Map<DatasetItem, DroppedItem>();
  for (const [it, ds] of flagged) {
    if (ds.length < (judgedIn.get(it) ?? 0)) continue;
    const closest = [...ds].sort((a, b) => Math.abs(a.z) - Math.abs(b.z))[0];
    out.set(it, ds.length === 1 ? closest : { ...closest, label: it.label, reason: ds.map((d) => `${d.label}: ${d.reason}`).join('; ') });
  }
  const dropped = items.filter((it) => out.has(it)).map((it) => out.get(it)!);
  const rows = (): Row[] => dropped.map((d) => ({
    id: d.id, path: d.path, label: d.label, group: d.group ?? '', mean: d.mean, class_mean: d.classMean, class_std: d.classStd, z: d.z, reason: d.reason,
  }));
  const result: AnomalyResult = {
    kept: items.filter((it) => !out.has(it)),
    dropped,
    classes,
    std: k,
    method,
    table: () => toDataFrame(rows(), ANOMALY_COLUMNS),
    toCsv: () => formatCsvRecords(rows(), ANOMALY_COLUMNS),
    mean: (id: string) => lookup(id),
    show: async (g?: AnomalyGalleryOptions) => showGallery(await anomalyGallery(result, g)),
  };
  return result;
}
