import { envelope, PALETTE, round, type VegaLiteSpec } from './spec';

/** One step of an LR range test. */
export interface LrFindPoint { lr: number; loss: number; smoothed: number }

export interface LrFindSpecOptions {
  points: LrFindPoint[];
  /** Suggested learning rates by name (e.g. `steepest`, `minimum/10`); each drawn as a rule. */
  suggestions: Record<string, number | undefined>;
  title?: string;
  /** Why the test stopped (shown as the subtitle). */
  note?: string;
}

/**
 * The LR range test: training loss (raw, faint; smoothed, bold) against a learning rate that
 * grows exponentially each step, on a log axis, with the suggested learning rates as rules.
 * Non-finite losses (the step that diverged) are left out.
 */
export function lrFindSpec(o: LrFindSpecOptions): VegaLiteSpec {
  const finite = o.points.filter((p) => Number.isFinite(p.lr) && p.lr > 0);
  if (finite.length === 0) throw new RangeError('the LR range test has no steps to plot');
  const values = finite.flatMap((p) => [
    ...(Number.isFinite(p.loss) ? [{ lr: p.lr, loss: round(p.loss, 6), series: 'loss' }] : []),
    ...(Number.isFinite(p.smoothed) ? [{ lr: p.lr, loss: round(p.smoothed, 6), series: 'smoothed loss' }] : []),
  ]);
  const rules = Object.entries(o.suggestions).filter((e): e is [string, number] => Number.isFinite(e[1]) && (e[1] as number) > 0)
    .map(([name, lr]) => ({ name, lr, label: `${name}: ${lr.toPrecision(2)}` }));
  // The smoothed curve decides the y range: the raw loss spikes at the end.
  const smooth = values.filter((v) => v.series === 'smoothed loss').map((v) => v.loss);
  const lo = Math.min(...smooth), hi = Math.max(...smooth);
  const pad = (hi - lo) * 0.1 || 0.1;
  const x = { field: 'lr', type: 'quantitative', title: 'learning rate', scale: { type: 'log', nice: false }, axis: { format: '.0e' } };
  const y = { field: 'loss', type: 'quantitative', title: 'training loss', scale: { domain: [round(lo - pad, 6), round(hi + pad, 6)], zero: false } };
  // One colour scale (and legend) for both curves and every suggestion.
  const domain = ['loss', 'smoothed loss', ...rules.map((r) => r.label)];
  const color = { field: 'series', type: 'nominal', title: null, scale: { domain, range: ['#c6dbef', PALETTE[0], ...rules.map((_, i) => PALETTE[(i + 1) % PALETTE.length])] } };
  const curve = (series: string, width: number) => ({
    data: { values: values.filter((v) => v.series === series) },
    mark: { type: 'line', clip: true, strokeWidth: width },
    encoding: { x, y, color, tooltip: [{ field: 'lr', format: '.2e' }, { field: 'loss', format: '.4f' }, { field: 'series' }] },
  });
  const layers: Record<string, unknown>[] = [curve('loss', 1), curve('smoothed loss', 2.5)];
  if (rules.length) {
    layers.push({ data: { values: rules.map((r) => ({ ...r, series: r.label })) }, mark: { type: 'rule', strokeDash: [5, 3], strokeWidth: 2 },
      encoding: { x, color, tooltip: [{ field: 'label', title: 'suggested' }] } });
  }
  return envelope(o.title ?? 'Learning-rate range test', o.note, { width: 440, height: 280, layer: layers });
}
