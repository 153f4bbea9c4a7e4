// The mixture of experts' gate per patient: pi, the weight the model gave its
// image expert (1 - pi went to the clinical-data expert), one bar per
// patient sorted by pi, coloured by the true label; misclassified patients
// are outlined. Shows which patients the model read from their cells and
// which from their numbers.
import { envelope, PALETTE, round, type VegaLiteSpec } from './spec';

export interface GateRow {
  /** Bag (patient) id. */
  bag: string;
  label: string;
  /** Gate weight of the image expert, 0..1. */
  pi: number;
  /** The mixture's P(positive). */
  score?: number;
  yImage?: number;
  yMeta?: number;
  /** Whether the patient was classified correctly. */
  correct?: boolean;
}

export interface GateSpecOptions {
  title?: string;
  /** Legend order (default: labels sorted). */
  classNames?: string[];
}

export function gateSpec(rows: GateRow[], o: GateSpecOptions = {}): VegaLiteSpec {
  if (rows.length === 0) throw new RangeError('gateSpec: no patients to plot (rows is empty).');
  const bad = rows.find((r) => !(r.pi >= 0 && r.pi <= 1));
  if (bad) throw new RangeError(`gateSpec: patient ${bad.bag} has pi ${bad.pi}; a gate weight lies in 0..1.`);
  const classes = o.classNames ?? [...new Set(rows.map((r) => r.label))].sort();
  const sorted = [...rows].sort((a, b) => b.pi - a.pi || (a.bag < b.bag ? -1 : a.bag > b.bag ? 1 : 0));
  const values = sorted.map((r, i) => ({
    rank: i + 1, bag: r.bag, label: r.label, pi: round(r.pi), meta: round(1 - r.pi),
    ...(r.score !== undefined ? { score: round(r.score) } : {}),
    ...(r.yImage !== undefined ? { y_image: round(r.yImage) } : {}),
    ...(r.yMeta !== undefined ? { y_metadata: round(r.yMeta) } : {}),
    outcome: r.correct === undefined ? 'n/a' : r.correct ? 'correct' : 'misclassified',
  }));
  const many = rows.length > 40;
  const mean = rows.reduce((s, r) => s + r.pi, 0) / rows.length;
  const subtitle = `pi = weight of the image expert (1 - pi: clinical data); ${rows.length} patients, mean pi ${mean.toFixed(2)}`;
  return envelope(o.title ?? 'Gate weight per patient', subtitle, {
    width: Math.min(900, Math.max(300, rows.length * 6)),
    height: 260,
    data: { values },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'bag', type: 'nominal', sort: { field: 'rank' }, title: many ? 'Patients (sorted by pi)' : 'Patient', axis: many ? { labels: false, ticks: false } : { labelAngle: -60 } },
          y: { field: 'pi', type: 'quantitative', scale: { domain: [0, 1] }, title: 'pi (image expert weight)' },
          color: { field: 'label', type: 'nominal', title: 'True label', scale: { domain: classes, range: classes.map((_, i) => PALETTE[i % PALETTE.length]) } },
          ...(rows.some((r) => r.correct !== undefined) ? {
            stroke: { field: 'outcome', type: 'nominal', title: null, scale: { domain: ['correct', 'misclassified', 'n/a'], range: ['transparent', '#222', 'transparent'] },
              legend: { values: ['misclassified'], symbolFillColor: 'white', symbolStrokeWidth: 1.5 } },
            strokeWidth: { value: 1.5 },
          } : {}),
          tooltip: [
            { field: 'bag', title: 'Patient' }, { field: 'label', title: 'Label' }, { field: 'pi', title: 'pi (images)' }, { field: 'meta', title: '1 - pi (clinical)' },
            ...(values.some((v) => 'score' in v) ? [{ field: 'score', title: 'P(positive)' }] : []),
            ...(values.some((v) => 'y_image' in v) ? [{ field: 'y_image', title: 'image expert' }] : []),
            ...(values.some((v) => 'y_metadata' in v) ? [{ field: 'y_metadata', title: 'clinical expert' }] : []),
            { field: 'outcome', title: 'Outcome' },
          ],
        },
      },
      { mark: { type: 'rule', strokeDash: [4, 3], color: '#888' }, encoding: { y: { datum: 0.5 } } },
    ],
  });
}
