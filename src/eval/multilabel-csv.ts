// The multi-label variant of predictions.csv: `id, path, labels, <one score
// column per label, named by label>, predicted`. `labels` is the true label
// set and `predicted` the label set the run decided on (its thresholds or
// top-k), both `|`-separated label names (empty: no label). The single-label
// file keeps its `label` column; a `labels` column without a `label` column
// marks a multi-label file. Text goes through cellab's one CSV module
// (data/csv.ts): eval builds and reads rows (it imports nothing of ours).
import type { PredictionsCsvRows } from './predictions-csv';

export interface MultiLabelTable {
  classNames: string[];
  /** 0/1 per row and label. */
  truth: number[][];
  scores: number[][];
  /** The run's decisions, from the `predicted` column (when there is one). */
  predicted?: number[][];
  ids: string[];
}

const NOT_SCORES = new Set(['id', 'path', 'labels', 'predicted']);
const isNumber = (v: string) => v.trim() !== '' && Number.isFinite(Number(v));

/**
 * The multi-label predictions CSV as a header and rows (format them with data/csv.ts's
 * formatCsv): scores as numbers, which it writes at full precision, so metrics recomputed
 * from the file equal the logged ones.
 */
export function multiLabelPredictionRows(o: { ids: string[]; paths: string[]; classNames: string[]; truth: ArrayLike<number>[]; scores: ArrayLike<number>[]; predicted?: ArrayLike<number>[] }):
  { header: string[]; rows: (string | number)[][] } {
  const set = (row: ArrayLike<number>) => o.classNames.filter((_, c) => row[c]).join('|');
  return {
    header: ['id', 'path', 'labels', ...o.classNames, ...(o.predicted ? ['predicted'] : [])],
    rows: o.ids.map((id, r) => [id, o.paths[r] ?? '', set(o.truth[r]), ...Array.from(o.scores[r], Number), ...(o.predicted ? [set(o.predicted[r])] : [])]),
  };
}

/** True when a predictions CSV header is the multi-label variant (a `labels` column, no `label`). */
export function isMultiLabelHeader(header: readonly string[], labelsCol = 'labels'): boolean {
  return header.includes(labelsCol) && !header.includes('label');
}

/** Split a label-set cell: `|` (HPA 2021), else `;`, else whitespace (HPA 2018's `16 0`); a cell that is one known label is that label. */
export function splitLabelSet(cell: string, known?: readonly string[]): string[] {
  const t = cell.trim();
  if (!t) return [];
  if (known?.includes(t)) return [t];
  const sep = t.includes('|') ? '|' : t.includes(';') ? ';' : /\s/;
  return t.split(sep).map((x) => x.trim()).filter(Boolean);
}

/** The multi-label predictions table from parsed rows; label sets may name labels or give their column indices. */
export function multiLabelFromRows(csv: PredictionsCsvRows, o: { labelsCol?: string } = {}): MultiLabelTable {
  const labelsCol = o.labelsCol ?? 'labels';
  const { header } = csv;
  const body = csv.rows.map((r) => r.cells);
  const lineOf = (i: number) => csv.rows[i].line;
  const at = header.indexOf(labelsCol);
  if (at < 0) throw new RangeError(`label-set column \`${labelsCol}\` is not in the header. Columns: ${header.join(', ')} (choose one with --label-col).`);
  if (body.length === 0) throw new RangeError('predictions CSV has a header but no rows.');
  body.forEach((r, i) => {
    if (r.length !== header.length) throw new SyntaxError(`line ${lineOf(i)} has ${r.length} fields; the header has ${header.length}.`);
  });
  const scoreCols = header.map((_, c) => c).filter((c) => c !== at && !NOT_SCORES.has(header[c]) && body.every((r) => isNumber(r[c])));
  if (scoreCols.length === 0) throw new RangeError(`no numeric score column besides \`${labelsCol}\`. Columns: ${header.join(', ')}.`);
  const classNames = scoreCols.map((c) => header[c]);
  const toRow = (cell: string, line: number, what: string) => {
    const row = new Array<number>(classNames.length).fill(0);
    for (const tok of splitLabelSet(cell, classNames)) {
      let c = classNames.indexOf(tok);
      if (c < 0 && /^\d+$/.test(tok) && Number(tok) < classNames.length) c = Number(tok);
      if (c < 0) throw new RangeError(`line ${line}: ${what} label \`${tok}\` is neither a label (score column) nor a label index. Labels: ${classNames.join(', ')}.`);
      row[c] = 1;
    }
    return row;
  };
  const idAt = header.indexOf('id');
  const predAt = header.indexOf('predicted');
  return {
    classNames,
    truth: body.map((r, i) => toRow(r[at], lineOf(i), 'true')),
    scores: body.map((r) => scoreCols.map((c) => Number(r[c]))),
    ...(predAt >= 0 ? { predicted: body.map((r, i) => toRow(r[predAt], lineOf(i), 'predicted')) } : {}),
    ids: body.map((r, i) => (idAt >= 0 ? r[idAt] : String(i + 1))),
  };
}
