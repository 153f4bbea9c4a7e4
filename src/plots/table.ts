// Tables in notebooks: an HTML table (styled like pandas' output) plus a
// fixed-width text version for static exports and terminals.
import { displayBundle, inNotebook } from './notebook';

export type TableRow = Record<string, unknown>;

function cell(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1000 ? v.toFixed(0) : v.toFixed(4);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function tableColumns(rows: TableRow[]): string[] {
  return [...new Set(rows.flatMap((r) => Object.keys(r)))];
}

export function tableText(rows: TableRow[], title?: string): string {
  const cols = tableColumns(rows);
  const body = rows.map((r) => cols.map((c) => cell(r[c])));
  const widths = cols.map((c, i) => Math.max(c.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) => cells.map((x, i) => x.padEnd(widths[i])).join('  ').trimEnd();
  return [...(title ? [title] : []), line(cols), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

export function tableHtml(rows: TableRow[], title?: string): string {
  const cols = tableColumns(rows);
  const th = 'style="text-align:right;padding:3px 8px;border-bottom:1px solid #999"';
  const td = 'style="text-align:right;padding:3px 8px;font-variant-numeric:tabular-nums"';
  // Long text (a divergence reason, a path) reads left-aligned in a column wide enough
  // not to become a tower of two-word lines.
  const longText = 'style="text-align:left;padding:3px 8px;min-width:24em;max-width:48em"';
  const head = `<tr>${cols.map((c) => `<th ${th}>${escape(c)}</th>`).join('')}</tr>`;
  const body = rows.map((r, i) => `<tr style="background:${i % 2 ? '#f5f5f5' : 'white'}">${cols.map((c) => {
    const text = cell(r[c]);
    return `<td ${typeof r[c] === 'string' && text.length > 40 ? longText : td}>${escape(text)}</td>`;
  }).join('')}</tr>`).join('');
  const caption = title ? `<caption style="text-align:left;font-weight:bold;padding:4px 0">${escape(title)}</caption>` : '';
  return `<table style="border-collapse:collapse;font-family:sans-serif;font-size:12px">${caption}<thead>${head}</thead><tbody>${body}</tbody></table>`;
}

/** A danfojs DataFrame (or anything with `columns` and row `values`) as rows. */
export interface FrameLike { columns: string[]; values: unknown[][] }

function isFrame(x: unknown): x is FrameLike {
  return !!x && typeof x === 'object' && Array.isArray((x as FrameLike).columns) && Array.isArray((x as FrameLike).values);
}

export function frameRows(frame: FrameLike): TableRow[] {
  return frame.values.map((v) => Object.fromEntries(frame.columns.map((c, i) => [c, Array.isArray(v) ? v[i] : v])));
}

/** Display rows (or a danfojs DataFrame) as a table in a tslab notebook; print them elsewhere. */
export function showTable(data: TableRow[] | FrameLike, o: { title?: string } = {}): void {
  const rows = isFrame(data) ? frameRows(data) : data;
  if (!inNotebook()) {
    console.log(tableText(rows, o.title));
    return;
  }
  displayBundle({ 'text/html': tableHtml(rows, o.title), 'text/plain': tableText(rows, o.title) });
}
