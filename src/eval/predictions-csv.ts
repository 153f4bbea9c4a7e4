// A predictions table from parsed CSV rows (eval imports nothing of ours, so the
// text is parsed by cellab's one CSV reader, data/csv.ts, and handed over as arrays).

/** Parsed CSV: a header and rows of cells, each with the line it starts on (data/csv.ts's CsvTable fits). */
export interface PredictionsCsvRows {
  header: string[];
  rows: { line: number; cells: string[] }[];
}

export interface PredictionsTable {
  classNames: string[];
  /** Class index per row. */
  labels: number[];
  /** One score per class per row (binary from one column: [1 - s, s]). */
  scores: number[][];
  /** The `id` column when there is one, else the 1-based row numbers. */
  ids: string[];
  /** Binary: the positive class's index. */
  positive?: number;
}

const NOT_SCORES = new Set(['id', 'path']);
const isNumber = (v: string) => v.trim() !== '' && Number.isFinite(Number(v));

/** Sorts label values numerically when they are all numbers, else as text. */
function sortLabels(values: string[]): string[] {
  return values.every(isNumber) ? values.sort((a, b) => Number(a) - Number(b)) : values.sort();
}

/**
 * Reads a predictions CSV (DESIGN.md "Predictions": id, path, label, then one score column
 * per class, named by class). The label column is `label` unless labelCol says otherwise;
 * `id`, `path` and other non-numeric columns are ignored; numeric columns are class scores; a single numeric
 * column is the positive class's score (the positive class: `positive`, else the label that
 * names the column, else the last of the two labels in sorted order).
 */
export function predictionsFromRows(csv: PredictionsCsvRows, o: { labelCol?: string; positive?: string } = {}): PredictionsTable {
  const labelCol = o.labelCol ?? 'label';
  const { header } = csv;
  const body = csv.rows.map((r) => r.cells);
  const at = (i: number) => `line ${csv.rows[i].line}`;
  const labelAt = header.indexOf(labelCol);
  if (labelAt < 0) throw new RangeError(`label column \`${labelCol}\` is not in the header. Columns: ${header.join(', ')} (choose one with --label-col).`);
  if (body.length === 0) throw new RangeError('predictions CSV has a header but no rows.');
  body.forEach((r, i) => {
    if (r.length !== header.length) throw new SyntaxError(`${at(i)} has ${r.length} fields; the header has ${header.length}.`);
  });
  // `id` and `path` are never scores, even when the ids are numbers.
  const scoreCols = header.map((_, c) => c).filter((c) => c !== labelAt && !NOT_SCORES.has(header[c]) && body.every((r) => isNumber(r[c])));
  if (scoreCols.length === 0) throw new RangeError(`no numeric score column besides \`${labelCol}\`. Columns: ${header.join(', ')}.`);
  const rawLabels = body.map((r) => r[labelAt].trim());
  const idAt = header.indexOf('id');
  const ids = body.map((r, i) => (idAt >= 0 ? r[idAt] : String(i + 1)));

  if (scoreCols.length === 1) {
    const column = header[scoreCols[0]];
    const seen = sortLabels([...new Set(rawLabels)]);
    const positiveName = o.positive ?? (seen.includes(column) ? column : seen.length === 2 ? seen[1] : undefined);
    const others = seen.filter((l) => l !== positiveName);
    if (positiveName === undefined || others.length !== 1 || seen.length > 2) {
      throw new RangeError(
        `one score column (\`${column}\`) means binary scores, which needs exactly two labels (or one plus --positive); ` +
          `labels found: ${seen.join(', ')}.`,
      );
    }
    const classNames = [others[0], positiveName];
    const s = body.map((r) => Number(r[scoreCols[0]]));
    return { classNames, labels: rawLabels.map((l) => (l === positiveName ? 1 : 0)), scores: s.map((v) => [1 - v, v]), ids, positive: 1 };
  }

  const classNames = scoreCols.map((c) => header[c]);
  const labels = rawLabels.map((l, i) => {
    const byName = classNames.indexOf(l);
    if (byName >= 0) return byName;
    if (/^\d+$/.test(l) && Number(l) < classNames.length) return Number(l);
    throw new RangeError(`${at(i)}: label \`${l}\` is neither a class (score column) nor a class index. Classes: ${classNames.join(', ')}.`);
  });
  let positive: number | undefined;
  if (classNames.length === 2) {
    positive = o.positive === undefined ? 1 : classNames.indexOf(o.positive);
    if (positive < 0) throw new RangeError(`positive class \`${o.positive}\` is not one of the classes: ${classNames.join(', ')}.`);
  } else if (o.positive !== undefined) {
    throw new RangeError(`a positive class applies to binary predictions; this file has ${classNames.length} classes.`);
  }
  return { classNames, labels, scores: body.map((r) => scoreCols.map((c) => Number(r[c]))), ids, ...(positive === undefined ? {} : { positive }) };
}
