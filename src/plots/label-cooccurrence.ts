import { envelope, round, type VegaLiteSpec } from './spec';

export interface LabelCooccurrenceSpecOptions {
  /** [a][b] = samples carrying both labels; the diagonal = samples carrying the label. */
  matrix: number[][];
  classNames: string[];
  /** Colour by P(column label | row label) = [a][b] / [a][a] instead of counts. */
  normalize?: boolean;
  title?: string;
  subtitle?: string;
}

/** Heatmap of how often labels occur together. */
export function labelCooccurrenceSpec(o: LabelCooccurrenceSpecOptions): VegaLiteSpec {
  const n = o.classNames.length;
  if (o.matrix.length !== n || o.matrix.some((r) => r.length !== n)) {
    throw new RangeError(`matrix must be ${n} x ${n} (one row and column per label); got ${o.matrix.length} rows of ${o.matrix.map((r) => r.length).join('/')}.`);
  }
  const normalize = o.normalize ?? false;
  const values = o.matrix.flatMap((row, a) => row.map((count, b) => {
    const fraction = row[a] === 0 ? 0 : round(count / row[a]);
    return { row: o.classNames[a], column: o.classNames[b], count, fraction, text: normalize ? fraction.toFixed(2) : String(count) };
  }));
  const field = normalize ? 'fraction' : 'count';
  const max = normalize ? 1 : Math.max(1, ...values.map((v) => v.count));
  const cell = Math.max(30, Math.min(60, Math.round(440 / n)));
  return envelope(o.title ?? (normalize ? 'Label co-occurrence: P(column | row)' : 'Label co-occurrence (samples carrying both)'), o.subtitle, {
    data: { values },
    width: cell * n,
    height: cell * n,
    encoding: {
      x: { field: 'column', type: 'nominal', sort: o.classNames, title: null, axis: { labelAngle: -40, orient: 'bottom' } },
      y: { field: 'row', type: 'nominal', sort: o.classNames, title: null },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
        encoding: {
          color: { field, type: 'quantitative', scale: { scheme: 'purples', domain: [0, max] }, title: normalize ? 'P(column | row)' : 'Samples' },
          tooltip: [{ field: 'row', title: 'Label' }, { field: 'column', title: 'With' }, { field: 'count', title: 'Samples' }, { field: 'fraction', title: 'Share of the row label', format: '.1%' }],
        },
      },
      {
        mark: { type: 'text', fontSize: Math.round(cell / 3.4) },
        encoding: { text: { field: 'text' }, color: { condition: { test: `datum.${field} > ${round(max * 0.55)}`, value: 'white' }, value: '#222' } },
      },
    ],
  });
}
