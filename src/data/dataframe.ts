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
