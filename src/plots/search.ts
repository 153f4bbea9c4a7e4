// How a search went: the objective against trial index with the best-so-far
// line, parameters against the objective as parallel coordinates, and each
// parameter's importance (computed by the caller, e.g. experiment/importance.ts).
import { envelope, PALETTE, round, type VegaLiteSpec } from './spec';

/** One trial of a search. `value` is the objective (e.g. best-epoch validation accuracy; higher is better). */
export interface SearchTrial {
  trial: number;
  /** Flat dotted keys; a conditional key is absent where it did not apply. */
  params: Record<string, unknown>;
  value: number | null;
  outcome: string;
  fold?: number;
}

/** A parameter's share of the objective's variance, as the caller estimated it. */
export interface ParamImportance {
  param: string;
  /** Share in [0, 1]; shares of all parameters sum to 1 (or are all 0). */
  share: number;
  /** The raw statistic the share came from (e.g. omega squared). */
  statistic?: number;
}

export interface SearchPlotOptions {
  /** The objective's name on axes (default 'val/accuracy'). */
  metric?: string;
  title?: string;
}

const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
const OUTCOMES = ['completed', 'pruned'];
const TRIAL_AXIS = { field: 'trial', type: 'quantitative', title: 'trial', axis: { tickMinStep: 1, format: 'd' } };

function shown(trials: SearchTrial[]): { used: SearchTrial[]; subtitle?: string } {
  const used = trials.filter((t) => OUTCOMES.includes(t.outcome) && t.value !== null && Number.isFinite(t.value));
  const left = trials.length - used.length;
  const counts = new Map<string, number>();
  for (const t of trials) if (!used.includes(t)) counts.set(t.outcome, (counts.get(t.outcome) ?? 0) + 1);
  return { used, subtitle: left ? `${left} trial(s) not shown (${[...counts].map(([k, n]) => `${k}: ${n}`).join(', ')})` : undefined };
}

function historyBody(trials: SearchTrial[], metric: string): Record<string, unknown> {
  const { used } = shown(trials);
  const sorted = [...used].sort((a, b) => a.trial - b.trial);
  let best = -Infinity;
  const points = sorted.map((t) => {
    if (t.outcome === 'completed') best = Math.max(best, t.value!);
    return { trial: t.trial, value: round(t.value!, 6), outcome: t.outcome, best: Number.isFinite(best) ? round(best, 6) : null };
  });
  const outcomes = OUTCOMES.filter((o) => points.some((p) => p.outcome === o));
  return {
    width: 420, height: 220,
    data: { values: points },
    layer: [
      {
        transform: [{ filter: 'datum.best !== null' }],
        mark: { type: 'line', interpolate: 'step-after', color: '#222', strokeWidth: 1.5 },
        encoding: { x: TRIAL_AXIS, y: { field: 'best', type: 'quantitative', title: metric, scale: { zero: false } } },
      },
      {
        mark: { type: 'point', filled: true, size: 60 },
        encoding: {
          x: TRIAL_AXIS,
          y: { field: 'value', type: 'quantitative', title: metric, scale: { zero: false } },
          color: { field: 'outcome', type: 'nominal', title: 'outcome', scale: { domain: outcomes, range: outcomes.map((o) => (o === 'completed' ? PALETTE[0] : PALETTE[1])) } },
          shape: { field: 'outcome', type: 'nominal', scale: { domain: outcomes, range: outcomes.map((o) => (o === 'completed' ? 'circle' : 'triangle-down')) } },
          tooltip: [{ field: 'trial' }, { field: 'value', title: metric, format: '.4f' }, { field: 'outcome' }, { field: 'best', title: 'best so far', format: '.4f' }],
        },
      },
    ],
  };
}

/**
 * The objective against trial index: completed trials and (at the value they had reached)
 * pruned ones, with a step line of the best completed value so far.
 */
export function searchHistorySpec(trials: SearchTrial[], o: SearchPlotOptions = {}): VegaLiteSpec {
  const metric = o.metric ?? 'val/accuracy';
  return envelope(o.title ?? `${metric} by trial (line: best so far)`, shown(trials).subtitle, historyBody(trials, metric));
}

interface Axis {
  key: string;
  position(v: unknown): number | null;
  ticks: { pos: number; label: string }[];
}

function axisFor(key: string, values: unknown[]): Axis {
  const present = values.filter((v) => v !== undefined);
  const numeric = present.length > 0 && present.every((v) => typeof v === 'number');
  const distinct = [...new Set(present.map(text))];
  if (numeric && distinct.length > 1) {
    const xs = present as number[];
    const lo = Math.min(...xs), hi = Math.max(...xs);
    // A key spanning more than a decade of positive values reads on a log scale (learning rates, weight decay).
    const log = lo > 0 && hi / lo >= 10;
    const f = (v: number) => (log ? Math.log(v) : v);
    const pos = (v: number) => (f(v) - f(lo)) / (f(hi) - f(lo));
    const mid = log ? Math.sqrt(lo * hi) : (lo + hi) / 2;
    return { key, position: (v) => (typeof v === 'number' ? round(pos(v), 6) : null), ticks: [lo, mid, hi].map((v) => ({ pos: round(pos(v), 6), label: Number(v.toPrecision(3)).toString() })) };
  }
  const cats = numeric ? [...new Set(present as number[])].sort((a, b) => a - b).map(text) : distinct.sort();
  const at = (i: number) => (cats.length === 1 ? 0.5 : round(i / (cats.length - 1), 6));
  return { key, position: (v) => (v === undefined ? null : at(cats.indexOf(text(v)))), ticks: cats.map((c, i) => ({ pos: at(i), label: c })) };
}

function parallelBody(trials: SearchTrial[], metric: string): Record<string, unknown> {
  const { used } = shown(trials);
  const keys = [...new Set(trials.flatMap((t) => Object.keys(t.params)))].filter((k) => k !== 'fold');
  const axes = [...keys.map((k) => axisFor(k, used.map((t) => t.params[k]))), axisFor(metric, used.map((t) => t.value!))];
  const lines = used.flatMap((t) => axes.map((a) => {
    const v = a.key === metric ? t.value : t.params[a.key];
    return { trial: t.trial, axis: a.key, pos: a.position(v), label: v === undefined ? '(not applied)' : text(typeof v === 'number' ? round(v, 6) : v), value: round(t.value!, 6), outcome: t.outcome };
  })).filter((r) => r.pos !== null);
  const ticks = axes.flatMap((a) => a.ticks.map((tk) => ({ axis: a.key, pos: tk.pos, label: tk.label })));
  const x = { field: 'axis', type: 'nominal', title: null, sort: axes.map((a) => a.key), axis: { labelAngle: 0, orient: 'bottom', domain: false, ticks: false } };
  const y = { field: 'pos', type: 'quantitative', title: null, scale: { domain: [0, 1] }, axis: null };
  return {
    width: Math.max(320, 130 * axes.length), height: 260, view: { stroke: null },
    layer: [
      { data: { values: axes.map((a) => ({ axis: a.key })) }, mark: { type: 'rule', color: '#999' }, encoding: { x } },
      {
        data: { values: lines },
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: {
          x, y, detail: { field: 'trial', type: 'nominal' },
          color: { field: 'value', type: 'quantitative', title: metric, scale: { scheme: 'viridis' } },
          opacity: { field: 'outcome', type: 'ordinal', legend: null, scale: { domain: OUTCOMES, range: [0.9, 0.35] } },
          strokeDash: { field: 'outcome', type: 'nominal', title: 'outcome', scale: { domain: OUTCOMES, range: [[1, 0], [4, 3]] } },
          tooltip: [{ field: 'trial' }, { field: 'axis', title: 'parameter' }, { field: 'label', title: 'value' }, { field: 'value', title: metric, format: '.4f' }],
        },
      },
      { data: { values: ticks }, mark: { type: 'text', align: 'left', dx: 4, fontSize: 11, color: '#333' }, encoding: { x, y, text: { field: 'label' } } },
    ],
  };
}

/**
 * Parameters vs objective as parallel coordinates: one line per trial across one axis per
 * parameter (numbers scaled to the range tried, log for keys spanning a decade or more;
 * categories spaced evenly) and the objective, coloured by the objective; pruned trials dashed.
 */
export function parallelCoordinatesSpec(trials: SearchTrial[], o: SearchPlotOptions = {}): VegaLiteSpec {
  const metric = o.metric ?? 'val/accuracy';
  return envelope(o.title ?? `Parameters vs ${metric}`, shown(trials).subtitle, parallelBody(trials, metric));
}

function importanceBody(importance: ParamImportance[]): Record<string, unknown> {
  const rows = [...importance].sort((a, b) => b.share - a.share || a.param.localeCompare(b.param))
    .map((r) => ({ param: r.param, share: round(r.share, 4), ...(r.statistic !== undefined ? { statistic: round(r.statistic, 4) } : {}) }));
  return {
    width: 360, height: { step: 24 },
    data: { values: rows },
    mark: { type: 'bar', color: PALETTE[0] },
    encoding: {
      y: { field: 'param', type: 'nominal', title: null, sort: rows.map((r) => r.param), axis: { labelLimit: 300 } },
      x: { field: 'share', type: 'quantitative', title: 'share of explained variance', scale: { domain: [0, 1] }, axis: { format: '.0%' } },
      tooltip: [{ field: 'param' }, { field: 'share', format: '.1%' }, ...(rows.some((r) => 'statistic' in r) ? [{ field: 'statistic', title: 'statistic', format: '.3f' }] : [])],
    },
  };
}

/** Bars of each parameter's importance; `method` (how it was estimated) goes in the subtitle. */
export function paramImportanceSpec(importance: ParamImportance[], o: { title?: string; method: string }): VegaLiteSpec {
  return envelope(o.title ?? 'Parameter importance', o.method, importanceBody(importance));
}

/** The three together (one SVG for a sweep's parent run): history, parallel coordinates, importance when given. */
export function searchSpec(trials: SearchTrial[], o: SearchPlotOptions & { importance?: ParamImportance[]; importanceMethod?: string } = {}): VegaLiteSpec {
  const metric = o.metric ?? 'val/accuracy';
  const { subtitle } = shown(trials);
  const panel = (title: string, body: Record<string, unknown>, sub?: string) => ({ title: sub ? { text: title, subtitle: sub } : title, ...body });
  const panels = [
    panel(`${metric} by trial (line: best so far)`, historyBody(trials, metric)),
    panel(`Parameters vs ${metric}`, parallelBody(trials, metric)),
    ...(o.importance?.some((i) => i.share > 0) ? [panel('Parameter importance', importanceBody(o.importance), o.importanceMethod)] : []),
  ];
  return envelope(o.title ?? 'Search', subtitle, { vconcat: panels, spacing: 28, resolve: { scale: { color: 'independent', opacity: 'independent', shape: 'independent', strokeDash: 'independent' } } });
}
