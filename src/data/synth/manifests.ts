// The CSV files of a synthetic set, as text. Column names and separators
// follow the real data sets (ICPR 2012: `;`; A.I.D.A.-like: `,`), so the
// loaders read synthetic and real data alike.
import type { ItemPlan } from './plan';
import { formatCsv } from '../csv';

/**
 * Top-level files and folders a synthetic set consists of (HEp-2 kinds, then the lymphocytosis
 * patients' DLMI layout); only these are removed when a set is regenerated in place.
 */
export const SYNTH_OUTPUT_ENTRIES: readonly string[] = ['training', 'test', 'images', 'cells.csv', 'labels.csv', 'synth.csv', 'README.md',
  'trainset', 'testset', 'clinical_annotation.csv', 'train', 'train.csv', 'label_names.csv'];

export interface WrittenItem extends ItemPlan {
  /** Paths relative to the output folder. */
  path: string;
  maskPath: string;
  width: number;
  height: number;
}

/** ICPR 2012 `cells.csv`: columns 5, 7, 8 are unknown in the real file; we put the width and blanks. */
export function cellsCsv(items: readonly WrittenItem[]): string {
  return formatCsv(['ID', 'set', 'image', 'intensity', 'x5', 'pattern', 'x7', 'x8'],
    items.map((it) => [it.id, it.split, it.specimen, it.intensity, it.width, it.pattern, '', '']), { separator: ';' });
}

/** ICPR 2012 `training/training.csv` or `test/test.csv`. */
export function splitCsv(items: readonly WrittenItem[]): string {
  return formatCsv(['ID', 'intensity', 'width', 'height'], items.map((it) => [it.id, it.intensity, it.width, it.height]), { separator: ';' });
}

/** ICPR 2012 `training/gt_training.csv` or `test/gt_test.csv`. */
export function groundTruthCsv(items: readonly WrittenItem[]): string {
  return formatCsv(['ID', 'pattern'], items.map((it) => [it.id, it.pattern]), { separator: ';' });
}

/** A.I.D.A.-like `labels.csv`. */
export function labelsCsv(items: readonly WrittenItem[]): string {
  return formatCsv(['ImageFileName', 'intensity', 'pattern', 'specimen', 'anomaly'],
    items.map((it) => [it.path.replace(/^images\//, ''), it.intensity, it.pattern, it.specimen, it.anomaly]));
}

const SYNTH_COLUMNS = ['id', 'path', 'mask', 'pattern', 'intensity', 'specimen', 'split', 'anomaly'];
export const SYNTH_CSV_HEADER = SYNTH_COLUMNS.join(',');

/** `synth.csv`: the full ground truth, for tests and docs (both kinds). */
export function synthCsv(items: readonly WrittenItem[]): string {
  return formatCsv(SYNTH_COLUMNS,
    items.map((it) => [it.id, it.path, it.maskPath, it.pattern, it.intensity, it.specimen, it.split, it.anomaly]));
}
