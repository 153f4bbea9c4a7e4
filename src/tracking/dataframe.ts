// Runs as a danfojs DataFrame for notebooks: one row per run, columns like
// MLflow's Python `search_runs`: run_id, experiment_id, run_name, status,
// start_time, end_time, then `params.<k>`, `metrics.<k>` (latest values) and
// `tags.<k>`.
import type { RunRecord } from './types';

export interface RunsTableOptions {
  /** Include `tags.*` columns: all (default), none, or these keys. */
  tags?: boolean | string[];
}

export type RunRow = Record<string, string | number | null>;

/**
 * What we promise of the danfojs DataFrame we return (it is a full danfojs
 * DataFrame at run time). danfojs declares its types only under package
 * `exports`, which this project's CommonJS resolution does not read.
 */
export interface RunsDataFrame {
  readonly columns: string[];
  readonly shape: number[];
  readonly values: unknown[];
  print(): void;
  head(rows?: number): RunsDataFrame;
  column(name: string): { values: unknown[] };
  sortValues(column: string, options?: { ascending?: boolean }): RunsDataFrame;
}

/** The rows of runsDataFrame as plain objects (every row has every column). */
export function runsTable(records: RunRecord[], o: RunsTableOptions = {}): RunRow[] {
  const paramKeys = [...new Set(records.flatMap((r) => Object.keys(r.params)))].sort();
  const metricKeys = [...new Set(records.flatMap((r) => Object.keys(r.metrics)))].sort();
  const tagKeys = o.tags === false ? [] : Array.isArray(o.tags) ? o.tags : [...new Set(records.flatMap((r) => Object.keys(r.tags)))].sort();
  return records.map((r) => {
    const row: RunRow = {
      run_id: r.info.runId,
      experiment_id: r.info.experimentId,
      run_name: r.info.runName,
      status: r.info.status,
      start_time: r.info.startTime,
      end_time: r.info.endTime ?? null,
    };
    for (const k of paramKeys) row[`params.${k}`] = r.params[k] ?? null;
    // NaN marks "not logged" in a numeric column (and a NaN value stays NaN).
    for (const k of metricKeys) row[`metrics.${k}`] = r.metrics[k] ?? NaN;
    for (const k of tagKeys) row[`tags.${k}`] = r.tags[k] ?? null;
    return row;
  });
}

/** A danfojs DataFrame of runs (params and latest metrics) for notebooks. */
export function runsDataFrame(records: RunRecord[], o: RunsTableOptions = {}): RunsDataFrame {
  // danfojs takes ~2 s to load: only when a table is asked for.
  const dfd = require('danfojs') as { DataFrame: new (data: unknown, options?: { columns?: string[] }) => RunsDataFrame };
  const rows = runsTable(records, o);
  if (rows.length === 0) return new dfd.DataFrame([], { columns: ['run_id', 'experiment_id', 'run_name', 'status', 'start_time', 'end_time'] });
  return new dfd.DataFrame(rows);
}
