import { envelope, PALETTE, round, type VegaLiteSpec } from './spec';

export interface RocCurveInput { className: string; fpr: number[]; tpr: number[]; thresholds?: number[]; auc: number }
export interface RocSpecOptions {
  /** One curve per class (binary: the positive class), e.g. ClassificationEvaluation.roc. */
  roc: RocCurveInput[];
  /** The macro-average curve (ClassificationEvaluation.rocMacro). */
  rocMacro?: { fpr: number[]; tpr: number[]; auc: number };
  /** The chosen operating point (e.g. from searchThreshold), marked on the curve. */
  operatingPoint?: { fpr: number; tpr: number; threshold: number; label?: string };
  title?: string;
}

export interface PrCurveInput { className: string; precision: number[]; recall: number[]; averagePrecision: number }
export interface PrSpecOptions { pr: PrCurveInput[]; title?: string }

/** Colour scale that keeps each series' colour stable; the macro average is black. */
function seriesScale(series: string[], macro?: string) {
  return { domain: macro ? [...series, macro] : series, range: [...series.map((_, i) => PALETTE[i % PALETTE.length]), ...(macro ? ['#111'] : [])] };
}

function skippedNote(names: string[], what: string): string | undefined {
  return names.length ? `${what} undefined (class missing from the truth) for: ${names.join(', ')}` : undefined;
}

/** ROC curves with the AUC in the legend, the chance diagonal and an optional operating point. */
export function rocSpec(o: RocSpecOptions): VegaLiteSpec {
  const defined = o.roc.filter((c) => Number.isFinite(c.auc));
  const label = (name: string, auc: number) => `${name} (AUC ${auc.toFixed(3)})`;
  const series = defined.map((c) => label(c.className, c.auc));
  const macro = o.rocMacro && Number.isFinite(o.rocMacro.auc) ? label('macro average', o.rocMacro.auc) : undefined;
  const values = defined.flatMap((c, s) => c.fpr.map((x, i) => ({
    series: series[s], fpr: round(x), tpr: round(c.tpr[i]), order: i,
    threshold: c.thresholds && Number.isFinite(c.thresholds[i]) ? round(c.thresholds[i]) : null,
  })));
  if (macro && o.rocMacro) o.rocMacro.fpr.forEach((x, i) => values.push({ series: macro, fpr: round(x), tpr: round(o.rocMacro!.tpr[i]), order: i, threshold: null }));
  const layers: Record<string, unknown>[] = [
    { data: { values: [{ fpr: 0, tpr: 0 }, { fpr: 1, tpr: 1 }] }, mark: { type: 'line', color: '#999', strokeDash: [4, 4], strokeWidth: 1 }, encoding: { x: { field: 'fpr', type: 'quantitative' }, y: { field: 'tpr', type: 'quantitative' } } },
    {
      data: { values },
      mark: { type: 'line', strokeWidth: 2, interpolate: 'linear' },
      encoding: {
        x: { field: 'fpr', type: 'quantitative', title: 'False positive rate (1 - specificity)', scale: { domain: [0, 1] } },
        y: { field: 'tpr', type: 'quantitative', title: 'True positive rate (sensitivity)', scale: { domain: [0, 1] } },
        color: { field: 'series', type: 'nominal', title: null, scale: seriesScale(series, macro), legend: { orient: 'bottom-right', fillColor: 'white', padding: 6 } },
        ...(macro ? { strokeDash: { condition: { test: `datum.series === ${JSON.stringify(macro)}`, value: [6, 3] }, value: [1, 0] } } : {}),
        order: { field: 'order', type: 'quantitative' },
        tooltip: [{ field: 'series', title: 'Curve' }, { field: 'fpr', title: 'FPR' }, { field: 'tpr', title: 'TPR' }, { field: 'threshold', title: 'Threshold' }],
      },
    },
  ];
  if (o.operatingPoint) {
    const p = o.operatingPoint;
    const text = p.label ?? `threshold ${round(p.threshold, 3)}`;
    layers.push({
      data: { values: [{ fpr: round(p.fpr), tpr: round(p.tpr), threshold: round(p.threshold), text }] },
      layer: [
        { mark: { type: 'point', filled: true, size: 90, color: '#111', shape: 'diamond' }, encoding: { tooltip: [{ field: 'text', title: 'Operating point' }, { field: 'fpr', title: 'FPR' }, { field: 'tpr', title: 'TPR' }] } },
        { mark: { type: 'text', align: 'left', dx: 8, dy: 12, fontSize: 12 }, encoding: { text: { field: 'text' } } },
      ],
      encoding: { x: { field: 'fpr', type: 'quantitative' }, y: { field: 'tpr', type: 'quantitative' } },
    });
  }
  const skipped = o.roc.filter((c) => !Number.isFinite(c.auc)).map((c) => c.className);
  return envelope(o.title ?? 'ROC curve', skippedNote(skipped, 'ROC'), { width: 380, height: 380, layer: layers });
}

/**
 * Precision-recall curves with the average precision in the legend, drawn as the step
 * function that average precision sums (points come in decreasing recall).
 */
export function prSpec(o: PrSpecOptions): VegaLiteSpec {
  const defined = o.pr.filter((c) => Number.isFinite(c.averagePrecision));
  const series = defined.map((c) => `${c.className} (AP ${c.averagePrecision.toFixed(3)})`);
  const values = defined.flatMap((c, s) => c.recall.map((r, i) => ({ series: series[s], recall: round(r), precision: round(c.precision[i]), order: i })));
  const skipped = o.pr.filter((c) => !Number.isFinite(c.averagePrecision)).map((c) => c.className);
  return envelope(o.title ?? 'Precision-recall curve', skippedNote(skipped, 'Precision-recall'), {
    width: 380,
    height: 380,
    data: { values },
    mark: { type: 'line', strokeWidth: 2, interpolate: 'step-after' },
    encoding: {
      x: { field: 'recall', type: 'quantitative', title: 'Recall', scale: { domain: [0, 1] } },
      y: { field: 'precision', type: 'quantitative', title: 'Precision', scale: { domain: [0, 1] } },
      color: { field: 'series', type: 'nominal', title: null, scale: seriesScale(series), legend: { orient: 'bottom-left', fillColor: 'white', padding: 6 } },
      order: { field: 'order', type: 'quantitative' },
      tooltip: [{ field: 'series', title: 'Curve' }, { field: 'recall', title: 'Recall' }, { field: 'precision', title: 'Precision' }],
    },
  });
}
