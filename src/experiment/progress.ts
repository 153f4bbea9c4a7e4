// Progress bars: a redrawn bar on a terminal, throttled lines in logs (CI,
// pipes), a live-updating output in notebooks. Always on stderr so that
// `--json` keeps stdout for the result.
import { inNotebook, newDisplayHandle } from '../plots/notebook';

export interface ProgressFields {
  [name: string]: string | number | undefined;
}

export interface Progress {
  update(done: number, fields?: ProgressFields): void;
  finish(fields?: ProgressFields): void;
}

export type ProgressMode = 'auto' | 'tty' | 'lines' | 'notebook' | 'off';

function fmt(v: string | number | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(4);
}

function fieldText(fields: ProgressFields | undefined): string {
  if (!fields) return '';
  return Object.entries(fields).filter(([, v]) => v !== undefined).map(([k, v]) => `${k} ${fmt(v)}`).join('  ');
}

function bar(done: number, total: number, width = 24): string {
  const frac = total > 0 ? Math.min(1, done / total) : 0;
  const full = Math.floor(frac * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${String(Math.round(frac * 100)).padStart(3)}%`;
}

function elapsed(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

function resolveMode(mode: ProgressMode): Exclude<ProgressMode, 'auto'> {
  if (mode !== 'auto') return mode;
  const env = process.env.CELLAB_PROGRESS;
  if (env === '0' || env === 'off') return 'off';
  if (inNotebook()) return 'notebook';
  return process.stderr.isTTY ? 'tty' : 'lines';
}

export function createProgress(label: string, total: number, o: { mode?: ProgressMode; unit?: string } = {}): Progress {
  const mode = resolveMode(o.mode ?? 'auto');
  const start = Date.now();
  let lastLine = 0;
  let lastPct = -1;
  const render = (done: number, fields?: ProgressFields) =>
    `${label} ${bar(done, total)} ${done}/${total}${o.unit ? ` ${o.unit}` : ''}  ${elapsed(Date.now() - start)}  ${fieldText(fields)}`.trimEnd();
  if (mode === 'off') return { update() {}, finish() {} };
  if (mode === 'notebook') {
    const handle = newDisplayHandle();
    let last = 0;
    const show = (done: number, fields?: ProgressFields, force = false) => {
      if (!force && Date.now() - last < 250) return;
      last = Date.now();
      const text = render(done, fields);
      const pct = total > 0 ? Math.min(100, (100 * done) / total) : 0;
      const html = `<div style="font-family:monospace;font-size:12px"><progress value="${pct.toFixed(1)}" max="100" style="width:220px;vertical-align:middle"></progress> ` +
        `${escapeHtml(label)} ${done}/${total} &nbsp; ${escapeHtml(elapsed(Date.now() - start))} &nbsp; ${escapeHtml(fieldText(fields))}</div>`;
      handle.update({ 'text/plain': text, 'text/html': html });
    };
    return { update: (d, f) => show(d, f), finish: (f) => show(total, f, true) };
  }
  if (mode === 'tty') {
    return {
      update(done, fields) {
        if (Date.now() - lastLine < 100 && done < total) return;
        lastLine = Date.now();
        const cols = process.stderr.columns || 120;
        process.stderr.write(`\r${render(done, fields).slice(0, cols - 1)}\x1b[K`);
      },
      finish(fields) {
        process.stderr.write(`\r${render(total, fields)}\x1b[K\n`);
      },
    };
  }
  // Plain lines: every 10% or 10 s, whichever comes first.
  return {
    update(done, fields) {
      const pct = total > 0 ? Math.floor((10 * done) / total) : 0;
      if (pct === lastPct && Date.now() - lastLine < 10_000) return;
      lastPct = pct;
      lastLine = Date.now();
      process.stderr.write(render(done, fields) + '\n');
    },
    finish(fields) {
      process.stderr.write(render(total, fields) + '\n');
    },
  };
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
