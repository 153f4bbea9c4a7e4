import { envelope, type VegaLiteSpec } from './spec';

export interface LabelCountsInput { label: string; tp: number; fp: number; fn: number }

/**
 * Per-label confusion summary: stacked bars of true positives, false positives and false
 * negatives (true negatives dwarf everything in multi-label data and are left out).
 */
export function labelCountsSpec(o: { perLabel: LabelCountsInput[]; title?: string; subtitle?: string }): VegaLiteSpec {
  if (o.perLabel.length === 0) throw new RangeError('perLabel is empty: give one entry per label.');
  const order = [...o.perLabel].sort((a, b) => b.tp + b.fn - (a.tp + a.fn) || a.label.localeCompare(b.label)).map((r) => r.label);
  const kinds = ['true positive', 'false negative', 'false positive'];
  const values = o.perLabel.flatMap((r) => [
    { label: r.label, kind: kinds[0], count: r.tp, order: 0 },
    { label: r.label, kind: kinds[1], count: r.fn, order: 1 },
    { label: r.label, kind: kinds[2], count: r.fp, order: 2 },
  ]);
  return envelope(o.title ?? 'Per-label outcomes', o.subtitle, {
    width: 420,
    height: Math.max(120, 24 * order.length),
    data: { values },
    mark: { type: 'bar', height: { band: 0.75 } },
    encoding: {
      y: { field: 'label', type: 'nominal', sort: order, title: null },
      x: { field: 'count', type: 'quantitative', stack: 'zero', title: 'Samples' },
      color: { field: 'kind', type: 'nominal', title: null, scale: { domain: kinds, range: ['#54a24b', '#f58518', '#e45756'] }, legend: { orient: 'bottom' } },
      order: { field: 'order', type: 'quantitative' },
      tooltip: [{ field: 'label', title: 'Label' }, { field: 'kind', title: 'Outcome' }, { field: 'count', title: 'Samples' }],
    },
  });
}
