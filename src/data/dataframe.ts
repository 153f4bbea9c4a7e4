// danfojs DataFrames for notebooks, loaded on first use (the library takes
// seconds to load and only tables need it).

/** The part of danfojs's DataFrame we rely on (its published typings point at a file the package lacks). */
export interface DataFrame {
  shape: number[];
  columns: string[];
  print(): void;
  toString(): string;
  head(rows?: number): DataFrame;
  values: unknown[][];
}

interface Danfo { DataFrame: new (data: unknown[], o?: { columns?: string[] }) => DataFrame }

export type Row = Record<string, string | number | boolean>;

/** A danfojs DataFrame of plain rows (columns from `columns`, so an empty table keeps its header). */
export function toDataFrame(rows: Row[], columns: string[]): DataFrame {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dfd = require('danfojs') as Danfo;
  if (rows.length === 0) return new dfd.DataFrame([], { columns });
  return new dfd.DataFrame(rows.map((r) => Object.fromEntries(columns.map((c) => [c, r[c] ?? '']))), { columns });
}

/** Rows as CSV text (header + one line per row), quoting as RFC 4180. */
export function toCsv(rows: Row[], columns: string[]): string {
  const q = (v: unknown) => {
    const s = typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(6)) : String(v ?? '');
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [columns.join(','), ...rows.map((r) => columns.map((c) => q(r[c])).join(','))].join('\n') + '\n';
}
