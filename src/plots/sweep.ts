import { envelope, PALETTE, round, type VegaLiteSpec } from './spec';

/** One trial of a sweep, as the experiment layer reports it. */
export interface TrialRow {
  trial: number;
  /** Flat dotted keys: 'model.backbone', 'train.lr'. */
  params: Record<string, unknown>;
  /** MLflow metric keys: 'val/accuracy', 'test/macro_f1'. */
  metrics: Record<string, number>;
  outcome: string;
  fold?: number;
}

export interface SweepSpecOptions {
  /** The metric key to compare, e.g. 'val/accuracy'. */
  metric: string;
  /** A param on the x axis (e.g. 'train.lr'; log scale when all values are positive numbers). Without it: bars per configuration. */
  x?: string;
  /** A param that makes one line per value (default 'model.backbone' when it varies). */
  color?: string;
  title?: string;
}

const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

function meanStd(xs: number[]): { mean: number; std: number } {
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  // Sample standard deviation across folds (0 for a single fold).
  const std = xs.length > 1 ? Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, std };
}

/**
 * Compares the trials of a sweep on one metric: against a param on a log axis with one line
 * per backbone (x given), or as bars per configuration (x omitted). Folds of the same
 * configuration are averaged, with error bars of ±1 standard deviation and the folds as dots.
 * Trials that did not complete, or lack the metric, are left out and counted in the subtitle.
 */
export function sweepSpec(rows: TrialRow[], o: SweepSpecOptions): VegaLiteSpec {
  const available = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))].sort();
  if (!available.includes(o.metric)) {
    throw new RangeError(`metric \`${o.metric}\` is not available. Available: ${available.join(', ') || '(no metrics in these trials)'}.`);
  }
  const used = rows.filter((r) => r.outcome === 'completed' && Number.isFinite(r.metrics[o.metric]));
  const left = rows.filter((r) => !used.includes(r));
  const byOutcome = new Map<string, number>();
  for (const r of left) {
    const why = r.outcome === 'completed' ? `no ${o.metric}` : r.outcome;
    byOutcome.set(why, (byOutcome.get(why) ?? 0) + 1);
  }
  const subtitle = left.length ? `${left.length} trial(s) not shown (${[...byOutcome].map(([k, n]) => `${k}: ${n}`).join(', ')})` : undefined;
  const paramKeys = [...new Set(rows.flatMap((r) => Object.keys(r.params)))];
  for (const key of [o.x, o.color]) {
    if (key !== undefined && !paramKeys.includes(key)) throw new RangeError(`param \`${key}\` is not in the trials. Available: ${paramKeys.join(', ')}.`);
  }
  const varies = (k: string) => new Set(rows.map((r) => text(r.params[k]))).size > 1;
  const color = o.color ?? (paramKeys.includes('model.backbone') && varies('model.backbone') && o.x !== 'model.backbone' ? 'model.backbone' : undefined);
  const title = o.title ?? `${o.metric} across the sweep`;
  // A configuration is a trial's params that vary, except the fold.
  const varying = paramKeys.filter((k) => varies(k) && k !== 'fold' && k !== o.x && k !== color);

  if (o.x !== undefined) return lineSpec(used, o.metric, o.x, color, varying, title, subtitle);
  return barSpec(used, o.metric, paramKeys.filter((k) => varies(k) && k !== 'fold'), title, subtitle);
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) { const k = key(it); m.set(k, [...(m.get(k) ?? []), it]); }
  return m;
}

function lineSpec(used: TrialRow[], metric: string, x: string, color: string | undefined, others: string[], title: string, subtitle?: string): VegaLiteSpec {
  const numeric = used.every((r) => typeof r.params[x] === 'number');
  const logScale = numeric && used.every((r) => (r.params[x] as number) > 0);
  // Lines: one per value of `color` and of any other varying param.
  const lineOf = (r: TrialRow) => [color, ...others].filter((k): k is string => !!k).map((k) => (k === color ? text(r.params[k]) : `${k}=${text(r.params[k])}`)).join(', ') || metric;
  const groups = groupBy(used, (r) => JSON.stringify([lineOf(r), r.params[x]]));
  const points = [...groups.values()].map((g) => {
    const { mean, std } = meanStd(g.map((r) => r.metrics[metric]));
    return { line: lineOf(g[0]), x: numeric ? (g[0].params[x] as number) : text(g[0].params[x]), mean: round(mean, 6), low: round(mean - std, 6), high: round(mean + std, 6), folds: g.length };
  });
  const lines = [...new Set(points.map((p) => p.line))].sort();
  // Padding keeps the end points (and their error bars) off the plot's edges.
  const xEnc = { field: 'x', type: numeric ? 'quantitative' : 'ordinal', title: x, ...(numeric ? { scale: { type: logScale ? 'log' : 'linear', padding: 16, nice: false }, axis: { format: '~g' } } : {}) };
  const colorEnc = { field: 'line', type: 'nominal', title: color ?? null, scale: { domain: lines, range: lines.map((_, i) => PALETTE[i % PALETTE.length]) } };
  const layers: Record<string, unknown>[] = [
    {
      mark: { type: 'line', strokeWidth: 2, point: { filled: true, size: 50 } },
      encoding: {
        x: xEnc, y: { field: 'mean', type: 'quantitative', title: metric, scale: { zero: false } }, color: colorEnc,
        tooltip: [{ field: 'line', title: color ?? 'line' }, { field: 'x', title: x }, { field: 'mean', title: `${metric} (mean)`, format: '.4f' }, { field: 'folds', title: 'folds' }],
      },
    },
  ];
  if (points.some((p) => p.folds > 1)) {
    layers.push({ mark: { type: 'errorbar', ticks: true }, encoding: { x: xEnc, y: { field: 'low', type: 'quantitative', title: metric }, y2: { field: 'high' }, color: colorEnc } });
  }
  return envelope(title, subtitle, { width: 420, height: 300, data: { values: points.sort((a, b) => a.line.localeCompare(b.line) || (a.x < b.x ? -1 : 1)) }, layer: layers });
}

function barSpec(used: TrialRow[], metric: string, varying: string[], title: string, subtitle?: string): VegaLiteSpec {
  // 'model.backbone=resnet18' reads as 'backbone=resnet18': the last part of a key is enough.
  const configOf = (r: TrialRow) => varying.map((k) => `${k.split('.').pop()}=${text(r.params[k])}`).join(', ') || 'all trials';
  const groups = groupBy(used, configOf);
  const bars = [...groups].map(([config, g]) => {
    const { mean, std } = meanStd(g.map((r) => r.metrics[metric]));
    return { config, mean: round(mean, 6), low: round(mean - std, 6), high: round(mean + std, 6), folds: g.length };
  }).sort((a, b) => b.mean - a.mean || a.config.localeCompare(b.config));
  const order = bars.map((b) => b.config);
  const dots = used.map((r) => ({ config: configOf(r), value: round(r.metrics[metric], 6), fold: r.fold ?? null, trial: r.trial }));
  const y = { field: 'config', type: 'nominal', title: null, sort: order, axis: { labelLimit: 400 } };
  const xTitle = `${metric} (mean over folds)`;
  const layers: Record<string, unknown>[] = [
    { data: { values: bars }, mark: { type: 'bar', color: '#9ecae9' }, encoding: { y, x: { field: 'mean', type: 'quantitative', title: xTitle }, tooltip: [{ field: 'config', title: 'Configuration' }, { field: 'mean', format: '.4f' }, { field: 'folds' }] } },
  ];
  if (bars.some((b) => b.folds > 1)) {
    layers.push({ data: { values: bars }, mark: { type: 'errorbar', ticks: true, color: '#222' }, encoding: { y, x: { field: 'low', type: 'quantitative', title: xTitle }, x2: { field: 'high' } } });
    layers.push({ data: { values: dots }, mark: { type: 'point', filled: true, color: '#08519c', size: 30, opacity: 0.8 }, encoding: { y, x: { field: 'value', type: 'quantitative', title: xTitle }, tooltip: [{ field: 'trial' }, { field: 'fold' }, { field: 'value', format: '.4f' }] } });
  }
  return envelope(title, subtitle, { width: 420, height: { step: 26 }, layer: layers });
}
