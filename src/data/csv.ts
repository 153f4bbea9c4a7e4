// cellab's one CSV reader and writer, RFC 4180 through csv-parse / csv-stringify:
// quoted separators, doubled quotes and newlines inside quotes, CRLF, a UTF-8 BOM,
// and `;`, `,` or tab detected from the header. Every manifest, predictions.csv,
// trials.csv and table goes through here. It sits in data/ because experiment
// and cli (its other users) may import data; eval, which must import nothing of
// ours, takes the parsed rows instead (eval/predictions-csv.ts).
import * as fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { DataError, type BadInputCollector } from './bad-input';

export interface CsvRow {
  /** 1-based line the row starts on (a quoted newline makes a row span lines). */
  line: number;
  /** Cells in header order. */
  cells: string[];
  /** Cells by header name (the first column of a repeated name wins). */
  values: Record<string, string>;
}

export interface CsvTable {
  file: string;
  separator: string;
  header: string[];
  rows: CsvRow[];
}

export interface CsvReadOptions {
  /** Force the separator instead of detecting it from the header. */
  separator?: string;
  /**
   * Rows whose cell count differs from the header's are added here and left out
   * (`dataset.onBadInput` then fails with the full list or counts them as skipped).
   * Without a collector such a row is an error naming file and line.
   */
  bad?: BadInputCollector;
}

const SEPARATORS = [';', ',', '\t'];
const SEPARATOR_NAMES: Record<string, string> = { ';': '`;`', ',': '`,`', '\t': 'tab' };

/** The header's separator: the most frequent of `;`, `,`, tab outside quotes (ties: that order); `,` when none. */
export function detectSeparator(text: string): string {
  const s = text.replace(/^\uFEFF/, '').replace(/^(?:[ \t]*\r?\n)+/, '');
  const counts = new Map(SEPARATORS.map((c) => [c, 0]));
  let quoted = false;
  for (const ch of s) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '\n') break;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  let best = ',';
  let most = 0;
  for (const [c, n] of counts) if (n > most) { best = c; most = n; }
  return best;
}

interface ParsedRecord {
  record: string[];
  /** Bytes of input consumed after this record (its line end included). */
  info: { bytes: number };
}

/**
 * Line numbers from byte offsets (csv-parse's own line count drifts on CRLF input):
 * `at(offset)` is the 1-based line of that byte; offsets must not decrease.
 */
function lineCounter(buf: Buffer): { at(offset: number): number; firstContent(from: number): number } {
  let pos = 0;
  let line = 1;
  return {
    at(offset) {
      for (; pos < offset && pos < buf.length; pos++) if (buf[pos] === 0x0a) line++;
      return line;
    },
    /** The first byte from `from` on that is not blank (space, tab, CR, LF). */
    firstContent(from) {
      let i = from;
      while (i < buf.length && (buf[i] === 0x20 || buf[i] === 0x09 || buf[i] === 0x0d || buf[i] === 0x0a)) i++;
      return i;
    },
  };
}

/** csv-parse's errors, said with the file, the line and what to do. */
function parseError(err: unknown, file: string, buf: Buffer): DataError {
  const e = err as { code?: string; bytes?: number; message?: string };
  const where = typeof e.bytes === 'number' ? `${file}:${lineCounter(buf).at(Math.max(0, e.bytes - 1))}` : file;
  if (e.code === 'CSV_QUOTE_NOT_CLOSED') {
    return new DataError(`${where}: a quoted value is never closed (a closing " is missing). Close the quote, or double a " that is part of the value ("")`);
  }
  return new DataError(`${where}: not valid CSV: ${e.message ?? String(err)}. Fix the row (values holding the separator, quotes or newlines must be quoted)`);
}

/**
 * Parse CSV text: the first non-empty row is the header, blank lines are skipped,
 * cells are trimmed. A row with more or fewer cells than the header is bad input
 * (extra cells that are all empty, a trailing separator, are allowed).
 */
export function parseCsv(text: string, file = '<csv>', o: CsvReadOptions = {}): CsvTable {
  const separator = o.separator ?? detectSeparator(text);
  const buf = Buffer.from(text, 'utf8');
  let records: ParsedRecord[];
  try {
    records = parse(text, {
      delimiter: separator, bom: true, trim: true, skip_empty_lines: true, relax_column_count: true,
      // A quote inside an unquoted value (`5" slide`) is kept, as spreadsheets write it.
      relax_quotes: true, info: true,
    }) as unknown as ParsedRecord[];
  } catch (err) {
    throw parseError(err, file, buf);
  }
  if (records.length === 0) throw new DataError(`${file} is empty: expected a header row and one row per item`);
  // A record starts where the previous one ended, past the blank lines skipped in between.
  const lines = lineCounter(buf);
  let end = 0;
  const lined = records.map(({ record, info }) => {
    const line = lines.at(lines.firstContent(end));
    end = info.bytes;
    return { line, cells: record };
  });
  const [head, ...body] = lined;
  const header = head.cells;
  const rows: CsvRow[] = [];
  for (const r of body) {
    let cells = r.cells;
    if (cells.length > header.length && cells.slice(header.length).every((c) => c === '')) cells = cells.slice(0, header.length);
    if (cells.length !== header.length) {
      const problem = `${cells.length} cell(s) but the header (line ${head.line}) has ${header.length}, separated by ${SEPARATOR_NAMES[separator] ?? `\`${separator}\``}. ` +
        'Quote values that hold the separator ("a,b"), or fix the row';
      if (!o.bad) throw new DataError(`${file}:${r.line}: ${problem}`);
      o.bad.add(`${file}:${r.line}`, problem);
      continue;
    }
    const values: Record<string, string> = {};
    header.forEach((h, j) => { if (!(h in values)) values[h] = cells[j]; });
    rows.push({ line: r.line, cells, values });
  }
  return { file, separator, header, rows };
}

export function readCsv(file: string, o: CsvReadOptions = {}): CsvTable {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new DataError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  return parseCsv(text, file, o);
}

export type CsvValue = string | number | boolean | null | undefined;

/**
 * CSV text: a header, then one line per row, `\n` line ends. Values holding the
 * separator, a quote or a newline are quoted. A number is written as `String(x)`,
 * the shortest text that parses back to the same double (a Float32Array element
 * read as a number keeps its float32 value exactly); null/undefined as empty.
 */
export function formatCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[], o: { separator?: string } = {}): string {
  return stringify([header as string[], ...(rows as CsvValue[][])], {
    delimiter: o.separator ?? ',',
    record_delimiter: 'unix',
    cast: { boolean: (b: boolean) => String(b), number: (n: number) => String(n) },
  });
}

/** Rows as records: `columns` pick and order the values of each. */
export function formatCsvRecords(rows: readonly Record<string, CsvValue>[], columns: readonly string[], o: { separator?: string } = {}): string {
  return formatCsv(columns, rows.map((r) => columns.map((c) => r[c])), o);
}

/** The first of `names` present (case-insensitive), or undefined. */
export function findColumn(table: CsvTable, names: readonly string[]): string | undefined {
  for (const n of names) {
    const hit = table.header.find((h) => h.toLowerCase() === n.toLowerCase());
    if (hit) return hit;
  }
  return undefined;
}

/** Find a column by name, case-insensitively; error lists the columns present. */
export function requireColumn(table: CsvTable, name: string, key: string): string {
  const hit = table.header.find((h) => h.toLowerCase() === name.toLowerCase());
  if (!hit) {
    throw new DataError(`${table.file} has no column '${name}' (set by ${key}). Columns: ${table.header.join(', ')}. Set ${key} to one of them or add the column`);
  }
  return hit;
}
