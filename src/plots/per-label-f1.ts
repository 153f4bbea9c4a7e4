import { envelope, round, type VegaLiteSpec } from './spec';

export interface PerLabelInput { label: string; precision: number; recall: number; f1: number; support: number }

export interface PerLabelF1SpecOptions {
  /** One entry per label, e.g. MultiLabelEvaluation.perLabel. */
  perLabel: PerLabelInput[];
  /** Micro and macro F1, drawn as reference lines. */
  micro?: number;
  macro?: number;
  title?: string;
  subtitle?: string;
}

/**
 * Horizontal F1 bars per label, most frequent label first, with the support (how many
 * samples carry the label) written beside each bar: rare labels with low F1 stand out.
 */
export function perLabelF1Spec(o: PerLabelF1SpecOptions): VegaLiteSpec {
  if (o.perLabel.length === 0) throw new RangeError('perLabel is empty: give one entry per label.');
  const rows = [...o.perLabel].sort((a, b) => b.support - a.support || a.label.localeCompare(b.label));
  const values = rows.map((r) => ({
    label: r.label, f1: round(r.f1), precision: round(r.precision), recall: round(r.recall), support: r.support,
    text: `${r.f1.toFixed(2)}  (n=${r.support})`,
  }));
  const refs = [
    ...(o.micro !== undefined && Number.isFinite(o.micro) ? [{ name: `micro F1 ${o.micro.toFixed(3)}`, value: round(o.micro) }] : []),
    ...(o.macro !== undefined && Number.isFinite(o.macro) ? [{ name: `macro F1 ${o.macro.toFixed(3)}`, value: round(o.macro) }] : []),
  ];
  const layer: Record<string, unknown>[] = [
    {
      data: { values },
      mark: { type: 'bar', color: '#4c78a8', height: { band: 0.75 } },
      encoding: {
        y: { field: 'label', type: 'nominal', sort: rows.map((r) => r.label), title: null },
        x: { field: 'f1', type: 'quantitative', title: 'F1 (support = samples carrying the label)', scale: { domain: [0, 1.25] }, axis: { values: [0, 0.2, 0.4, 0.6, 0.8, 1] } },
        tooltip: [{ field: 'label', title: 'Label' }, { field: 'f1', title: 'F1' }, { field: 'precision', title: 'Precision' }, { field: 'recall', title: 'Recall' }, { field: 'support', title: 'Support' }],
      },
    },
    {
      data: { values },
      mark: { type: 'text', align: 'left', dx: 4, fontSize: 11 },
      encoding: { y: { field: 'label', type: 'nominal', sort: rows.map((r) => r.label) }, x: { field: 'f1', type: 'quantitative' }, text: { field: 'text' } },
    },
  ];
  if (refs.length) {
    layer.push({
      data: { values: refs },
      mark: { type: 'rule', strokeDash: [5, 3], strokeWidth: 1.5 },
      encoding: {
        x: { field: 'value', type: 'quantitative' },
        color: { field: 'name', type: 'nominal', title: null, scale: { range: ['#e45756', '#54a24b'] }, legend: { orient: 'bottom' } },
      },
    });
  }
  return envelope(o.title ?? 'F1 per label', o.subtitle, { width: 420, height: Math.max(120, 24 * rows.length), layer });
}
