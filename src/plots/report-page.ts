// One self-contained HTML page from sections of tables, Vega-Lite charts and
// pictures: vega, vega-lite and vega-embed inlined, pictures as data: URLs, no
// request leaves the file (no CDN is reachable, and a shared report must open
// anywhere). Tables sort by a click on their header. When every chart has drawn,
// <body data-charts="rendered N"> says so (a headless browser waits for it).
import type { VegaLiteSpec } from './spec';
import { inlineScripts } from './render';

export type ReportCell = string | number | null | undefined;

export interface ReportTable {
  columns: string[];
  rows: ReportCell[][];
  /** Row indices to highlight (e.g. the best run). */
  highlight?: number[];
  sortable?: boolean;
}

export interface ReportImage { title: string; png: Uint8Array }

export interface ReportSection {
  heading: string;
  /** Plain text paragraphs under the heading. */
  text?: string[];
  table?: ReportTable;
  /** Drawn side by side, wrapping. */
  charts?: VegaLiteSpec[];
  images?: ReportImage[];
}

export interface ReportPage {
  title: string;
  subtitle?: string;
  sections: ReportSection[];
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function cellText(v: ReportCell): string {
  if (v === undefined || v === null || (typeof v === 'number' && !Number.isFinite(v))) return '–';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1000 ? v.toFixed(0) : v.toFixed(4);
  return v;
}

function tableHtml(t: ReportTable): string {
  const hl = new Set(t.highlight ?? []);
  const head = t.columns.map((c, i) => `<th${t.sortable ? ` data-col="${i}" title="sort"` : ''}>${esc(c)}</th>`).join('');
  const body = t.rows.map((r, i) => `<tr${hl.has(i) ? ' class="best"' : ''}>${r.map((v) => {
    const num = typeof v === 'number' && Number.isFinite(v);
    return `<td${num ? ` class="num" data-v="${v}"` : ''}>${esc(cellText(v))}</td>`;
  }).join('')}</tr>`).join('\n');
  return `<table${t.sortable ? ' class="sortable"' : ''}><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const STYLE = `
body { margin: 24px; font-family: 'DejaVu Sans', sans-serif; color: #222; background: white; max-width: 1600px; }
h1 { font-size: 22px; margin-bottom: 2px; } h2 { font-size: 17px; margin-top: 32px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.sub { color: #555; font-size: 13px; } p { font-size: 13px; max-width: 70em; }
table { border-collapse: collapse; font-size: 12px; margin: 8px 0; }
th, td { padding: 3px 8px; text-align: left; border-bottom: 1px solid #eee; } th { border-bottom: 1px solid #999; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.sortable th { cursor: pointer; } table.sortable th.asc::after { content: ' ▲'; } table.sortable th.desc::after { content: ' ▼'; }
tr.best td { background: #fff6d5; font-weight: bold; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.figure { margin: 8px 0 16px; } .figure img { max-width: 100%; border: 1px solid #eee; } .figure .cap { font-size: 12px; color: #555; }
`;

// Sorting (numbers by value, text alphabetically) and drawing the charts.
const SCRIPT = `
document.querySelectorAll('table.sortable th').forEach(function (th) {
  th.addEventListener('click', function () {
    var table = th.closest('table'), col = Number(th.dataset.col), asc = !th.classList.contains('asc');
    table.querySelectorAll('th').forEach(function (h) { h.classList.remove('asc', 'desc'); });
    th.classList.add(asc ? 'asc' : 'desc');
    var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[col], y = b.cells[col];
      var nx = x && x.dataset.v !== undefined ? Number(x.dataset.v) : NaN, ny = y && y.dataset.v !== undefined ? Number(y.dataset.v) : NaN;
      // Numbers by value with missing values last either way; text alphabetically.
      if (!isNaN(nx) || !isNaN(ny)) return isNaN(nx) ? 1 : isNaN(ny) ? -1 : (nx - ny) * (asc ? 1 : -1);
      return (x ? x.textContent : '').localeCompare(y ? y.textContent : '') * (asc ? 1 : -1);
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
var charts = document.querySelectorAll('div.chart');
Promise.all(Array.prototype.map.call(charts, function (div) {
  var spec = JSON.parse(document.getElementById(div.dataset.spec).textContent);
  return vegaEmbed(div, spec, { renderer: 'svg', actions: { export: true, source: false, compiled: false, editor: false } })
    .then(function () { div.dataset.rendered = 'yes'; }, function (err) { div.dataset.rendered = 'failed'; div.textContent = 'Chart failed: ' + err; throw err; });
})).then(function () { document.body.dataset.charts = 'rendered ' + charts.length; },
  function (err) { document.body.dataset.charts = 'failed: ' + err; });
`;

/** The report as one HTML document (~1.3 MB of inlined libraries, plus the pictures). */
export async function reportHtml(page: ReportPage): Promise<string> {
  let n = 0;
  const specs: string[] = [];
  const sections = page.sections.map((s) => {
    const parts = [`<h2>${esc(s.heading)}</h2>`, ...(s.text ?? []).map((t) => `<p>${esc(t)}</p>`)];
    if (s.table) parts.push(tableHtml(s.table));
    if (s.charts?.length) {
      const divs = s.charts.map((spec) => {
        const id = `spec${n++}`;
        specs.push(`<script type="application/json" id="${id}">${JSON.stringify(spec).replace(/</g, '\\u003c')}</script>`);
        return `<div class="chart" data-spec="${id}"></div>`;
      });
      parts.push(`<div class="charts">${divs.join('')}</div>`);
    }
    for (const img of s.images ?? []) {
      parts.push(`<div class="figure"><div class="cap">${esc(img.title)}</div><img alt="${esc(img.title)}" src="data:image/png;base64,${Buffer.from(img.png).toString('base64')}"></div>`);
    }
    return `<section>${parts.join('\n')}</section>`;
  });
  return `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>${esc(page.title)}</title>
<style>${STYLE}</style>
${await inlineScripts()}
</head>
<body data-charts="pending">
<h1>${esc(page.title)}</h1>
${page.subtitle ? `<div class="sub">${esc(page.subtitle)}</div>` : ''}
${sections.join('\n')}
${specs.join('\n')}
<script>${SCRIPT}</script>
</body>
</html>
`;
}
