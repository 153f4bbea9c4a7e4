import { PALETTE, round, type VegaLiteSpec } from './spec';
import { metricPanels } from './training-curves';

/** One metric value of one run at one epoch. */
export interface RunCurvePoint { run: string; epoch: number; metric: string; value: number }

/**
 * Training curves of several runs overlaid: one panel per metric (e.g. `val/accuracy`,
 * `val/loss`), one colour per run. Non-finite values are left out.
 */
export function runCurvesSpec(points: RunCurvePoint[], o: { metrics?: string[]; title?: string } = {}): VegaLiteSpec {
  const seen = [...new Set(points.map((p) => p.metric))];
  if (o.metrics) {
    const missing = o.metrics.filter((m) => !seen.includes(m));
    if (missing.length) throw new RangeError(`metric \`${missing[0]}\` is not in the runs' histories. Available: ${seen.join(', ') || '(none)'}.`);
  }
  const metrics = o.metrics ?? seen.sort((a, b) => (a.endsWith('loss') ? 1 : 0) - (b.endsWith('loss') ? 1 : 0) || a.localeCompare(b));
  const values = points.filter((p) => metrics.includes(p.metric) && Number.isFinite(p.value)).map((p) => ({ ...p, value: round(p.value, 6) }));
  const runs = [...new Set(values.map((v) => v.run))];
  const maxEpoch = Math.max(0, ...values.map((v) => v.epoch));
  return metricPanels({
    title: o.title ?? 'Training curves by run', values, metrics, columns: Math.min(metrics.length, 2) || 1, width: 300, height: 200, points: maxEpoch <= 40,
    color: { field: 'run', title: 'Run', domain: runs, range: runs.map((_, i) => PALETTE[i % PALETTE.length]) }, tooltip: ['run', 'metric'],
  });
}
