// A small CSV reader: header row, `;` or `,` (auto-detected), quoted fields,
// CRLF. Rows keep their 1-based line number so errors can point at them.
import * as fs from 'node:fs';
import { DataError } from './bad-input';

export interface CsvTable {
  file: string;
  header: string[];
  rows: { line: number; values: Record<string, string> }[];
}

export function detectSeparator(headerLine: string): string {
  const counts = [';', ',', '\t'].map((s) => [s, headerLine.split(s).length - 1] as const);
  counts.sort((a, b) => b[1] - a[1]);
  return counts[0][1] > 0 ? counts[0][0] : ',';
}

function splitLine(line: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; }
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"' && cur === '') quoted = true;
    else if (ch === sep) { out.push(cur); cur = ''; }
    else cur += ch;
  }
  out.push(cur);
  return out.map((v) => v.trim());
}

export function parseCsv(text: string, file = '<csv>', sep?: string): CsvTable {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const first = lines.findIndex((l) => l.trim() !== '');
  if (first < 0) throw new DataError(`${file} is empty: expected a header row and one row per item`);
  const separator = sep ?? detectSeparator(lines[first]);
  const header = splitLine(lines[first], separator);
  const rows: CsvTable['rows'] = [];
  for (let i = first + 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const cells = splitLine(lines[i], separator);
    const values: Record<string, string> = {};
    header.forEach((h, j) => { values[h] = cells[j] ?? ''; });
    rows.push({ line: i + 1, values });
  }
  return { file, header, rows };
}

export function readCsv(file: string, sep?: string): CsvTable {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new DataError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
  return parseCsv(text, file, sep);
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
