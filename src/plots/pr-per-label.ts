import { envelope, round, type VegaLiteSpec } from './spec';

export interface LabelPrCurve {
  className: string;
  precision: number[];
  recall: number[];
  /** Score thresholds of the curve points (one fewer than precision: the last point has none). */
  thresholds?: number[];
  averagePrecision: number;
}

export interface PrPerLabelSpecOptions {
  pr: LabelPrCurve[];
  /** The decision threshold of each label (same order), marked on its curve. */
  thresholds?: number[];
  columns?: number;
  title?: string;
}

/** Index of the curve point at a threshold: the lowest curve threshold >= t (what `score >= t` predicts). */
function pointAt(c: LabelPrCurve, t: number): number | undefined {
  if (!c.thresholds || !Number.isFinite(t)) return undefined;
  let best: number | undefined;
  c.thresholds.forEach((x, i) => { if (x >= t && (best === undefined || x < c.thresholds![best])) best = i; });
  return best;
}

/** Precision-recall curve of every label in small multiples, AP in each panel's title, the chosen threshold marked. */
export function prPerLabelSpec(o: PrPerLabelSpecOptions): VegaLiteSpec {
  const defined = o.pr.filter((c) => Number.isFinite(c.averagePrecision));
  const name = (c: LabelPrCurve) => `${c.className} (AP ${c.averagePrecision.toFixed(2)})`;
  const values = defined.flatMap((c) => c.recall.map((r, i) => ({ panel: name(c), recall: round(r), precision: round(c.precision[i]), order: i })));
  const points = o.thresholds ? defined.flatMap((c) => {
    const t = o.thresholds![o.pr.indexOf(c)];
    const i = pointAt(c, t);
    return i === undefined ? [] : [{ panel: name(c), recall: round(c.recall[i]), precision: round(c.precision[i]), threshold: round(t, 3) }];
  }) : [];
  const skipped = o.pr.filter((c) => !Number.isFinite(c.averagePrecision)).map((c) => c.className);
  const layer: Record<string, unknown>[] = [
    { mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.8, color: '#4c78a8' },
      encoding: { x: { field: 'recall', type: 'quantitative', title: 'Recall', scale: { domain: [0, 1] } }, y: { field: 'precision', type: 'quantitative', title: 'Precision', scale: { domain: [0, 1] } }, order: { field: 'order', type: 'quantitative' } } },
  ];
  if (points.length) {
    layer.push({ data: { values: points }, mark: { type: 'point', filled: true, size: 60, color: '#e45756', shape: 'diamond' },
      encoding: { x: { field: 'recall', type: 'quantitative' }, y: { field: 'precision', type: 'quantitative' }, tooltip: [{ field: 'threshold', title: 'Threshold' }, { field: 'precision', title: 'Precision' }, { field: 'recall', title: 'Recall' }] } });
  }
  const sub = [points.length ? 'diamond: the decision threshold' : '', skipped.length ? `no positives (curve undefined): ${skipped.join(', ')}` : ''].filter(Boolean).join('; ');
  return envelope(o.title ?? 'Precision-recall per label', sub || undefined, {
    data: { values },
    facet: { field: 'panel', type: 'nominal', title: null, sort: defined.map(name), header: { labelFontSize: 12 } },
    columns: o.columns ?? 4,
    spec: { width: 150, height: 130, layer },
  });
}
