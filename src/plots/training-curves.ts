import { envelope, PALETTE, round, type VegaLiteSpec } from './spec';

/** One epoch of history; keys are MLflow metric keys: 'train/loss', 'val/accuracy', 'lr'. */
export interface HistoryRow { epoch: number; [key: string]: number }

const SPLIT_ORDER = ['train', 'val', 'test'];

/**
 * Loss and metrics per epoch, one panel per metric (loss first), train vs validation as
 * colours. Keys without a split (`lr`) get their own panel. Non-finite values (a diverged
 * epoch) are left out rather than breaking the line.
 */
export function trainingCurvesSpec(rows: HistoryRow[], o: { metrics?: string[]; title?: string; columns?: number } = {}): VegaLiteSpec {
  const long: { epoch: number; split: string; metric: string; value: number }[] = [];
  const metricsSeen: string[] = [];
  for (const row of rows) {
    for (const [key, value] of Object.entries(row)) {
      if (key === 'epoch' || typeof value !== 'number') continue;
      const slash = key.indexOf('/');
      const split = slash < 0 ? 'all' : key.slice(0, slash);
      const metric = slash < 0 ? key : key.slice(slash + 1);
      if (!metricsSeen.includes(metric)) metricsSeen.push(metric);
      if (Number.isFinite(value)) long.push({ epoch: row.epoch, split, metric, value: round(value, 6) });
    }
  }
  if (o.metrics) {
    const missing = o.metrics.filter((m) => !metricsSeen.includes(m));
    if (missing.length) throw new RangeError(`metric \`${missing[0]}\` is not in the history. Available: ${metricsSeen.join(', ')}.`);
  }
  const metrics = o.metrics ?? [...metricsSeen.filter((m) => m === 'loss'), ...metricsSeen.filter((m) => m !== 'loss')];
  const values = long.filter((v) => metrics.includes(v.metric));
  const splits = [...new Set(values.map((v) => v.split))].sort((x, y) => rank(x) - rank(y) || x.localeCompare(y));
  const epochs = rows.length;
  return metricPanels({
    title: o.title ?? 'Training curves', values, metrics, columns: o.columns ?? Math.min(metrics.length, 3), width: 260, height: 180, points: epochs <= 40,
    color: { field: 'split', title: 'Split', domain: splits, range: splits.map(splitColour) }, tooltip: ['metric', 'split'],
  });
}

/**
 * Lines per epoch, one panel per metric (each its own y scale), one colour per `color.field`
 * value: the layout of training curves, of one run (by split) or of several (by run).
 */
export function metricPanels(o: {
  title: string; values: object[]; metrics: string[]; columns: number; width: number; height: number; points: boolean;
  color: { field: string; title: string; domain: string[]; range: string[] }; tooltip: string[];
}): VegaLiteSpec {
  return envelope(o.title, undefined, {
    data: { values: o.values },
    facet: { field: 'metric', type: 'nominal', sort: o.metrics, title: null, header: { labelFontWeight: 'bold' } },
    columns: o.columns,
    spec: {
      width: o.width,
      height: o.height,
      mark: { type: 'line', strokeWidth: 2, point: o.points },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'Epoch', axis: { tickMinStep: 1 } },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: { field: o.color.field, type: 'nominal', title: o.color.title, scale: { domain: o.color.domain, range: o.color.range } },
        tooltip: [...o.tooltip.map((field) => ({ field })), { field: 'epoch' }, { field: 'value', format: '.4~g' }],
      },
    },
    resolve: { scale: { y: 'independent' } },
  });
}

/** train, val, test keep their colours in every plot; other splits take the next ones. */
function splitColour(split: string, i: number): string {
  const known = SPLIT_ORDER.indexOf(split);
  return PALETTE[known >= 0 ? known : (SPLIT_ORDER.length + i) % PALETTE.length];
}

function rank(split: string): number {
  const i = SPLIT_ORDER.indexOf(split);
  return i < 0 ? SPLIT_ORDER.length : i;
}
