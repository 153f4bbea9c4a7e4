// The multi-label variant of predictions.csv: `id, path, labels, <one score
// column per label, named by label>, predicted`. `labels` is the true label
// set and `predicted` the label set the run decided on (its thresholds or
// top-k), both `|`-separated label names (empty: no label). The single-label
// file keeps its `label` column; a `labels` column without a `label` column
// marks a multi-label file.
import { parseCsv } from './csv';

export interface MultiLabelTable {
  classNames: string[];
  /** 0/1 per row and label. */
  truth: number[][];
  scores: number[][];
  /** The run's decisions, from the `predicted` column (when there is one). */
  predicted?: number[][];
  ids: string[];
}

const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const NOT_SCORES = new Set(['id', 'path', 'labels', 'predicted']);
const isNumber = (v: string) => v.trim() !== '' && Number.isFinite(Number(v));

/** Write the multi-label predictions CSV. */
export function multiLabelPredictionsCsv(o: { ids: string[]; paths: string[]; classNames: string[]; truth: ArrayLike<number>[]; scores: ArrayLike<number>[]; predicted?: ArrayLike<number>[] }): string {
  const set = (row: ArrayLike<number>) => o.classNames.filter((_, c) => row[c]).join('|');
  const lines = [['id', 'path', 'labels', ...o.classNames, ...(o.predicted ? ['predicted'] : [])].map(q).join(',')];
  o.ids.forEach((id, r) => {
    const s = Array.from(o.scores[r], (v) => Number(v).toPrecision(6));
    lines.push([q(id), q(o.paths[r] ?? ''), q(set(o.truth[r])), ...s, ...(o.predicted ? [q(set(o.predicted[r]))] : [])].join(','));
  });
  return lines.join('\n') + '\n';
}

/** True when a predictions CSV's header is the multi-label variant (a `labels` column, no `label`). */
export function isMultiLabelCsv(text: string, labelsCol = 'labels'): boolean {
  const header = parseCsv(text.split(/\r?\n/, 1)[0] ?? '')[0] ?? [];
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

/** Read the multi-label predictions CSV; label sets may name labels or give their column indices. */
export function readMultiLabelPredictionsCsv(text: string, o: { labelsCol?: string } = {}): MultiLabelTable {
  const labelsCol = o.labelsCol ?? 'labels';
  const [header, ...body] = parseCsv(text);
  if (!header) throw new SyntaxError('predictions CSV is empty: expected a header line (id, path, labels, one column per label, predicted).');
  const at = header.indexOf(labelsCol);
  if (at < 0) throw new RangeError(`label-set column \`${labelsCol}\` is not in the header. Columns: ${header.join(', ')} (choose one with --label-col).`);
  if (body.length === 0) throw new RangeError('predictions CSV has a header but no rows.');
  body.forEach((r, i) => {
    if (r.length !== header.length) throw new SyntaxError(`line ${i + 2} has ${r.length} fields; the header has ${header.length}.`);
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
    truth: body.map((r, i) => toRow(r[at], i + 2, 'true')),
    scores: body.map((r) => scoreCols.map((c) => Number(r[c]))),
    ...(predAt >= 0 ? { predicted: body.map((r, i) => toRow(r[predAt], i + 2, 'predicted')) } : {}),
    ids: body.map((r, i) => (idAt >= 0 ? r[idAt] : String(i + 1))),
  };
}
