import { envelope, round, type VegaLiteSpec } from './spec';

export interface ConfusionMatrixSpecOptions {
  /** rows = true class, columns = predicted class. */
  matrix: number[][];
  classNames: string[];
  /** Colour and label cells by the fraction of each true class (row) instead of counts. */
  normalize?: boolean;
  title?: string;
}

/** A heatmap of the confusion matrix: class names on both axes, the value in every cell. */
export function confusionMatrixSpec(o: ConfusionMatrixSpecOptions): VegaLiteSpec {
  const n = o.classNames.length;
  if (o.matrix.length !== n || o.matrix.some((row) => row.length !== n)) {
    throw new RangeError(`matrix must be ${n} x ${n} (one row and column per class name); got ${o.matrix.length} rows of ${o.matrix.map((r) => r.length).join('/')}.`);
  }
  const normalize = o.normalize ?? false;
  const values = o.matrix.flatMap((row, t) => {
    const total = row.reduce((s, v) => s + v, 0);
    return row.map((count, p) => {
      const fraction = total === 0 ? 0 : round(count / total);
      return { true: o.classNames[t], predicted: o.classNames[p], count, fraction, text: normalize ? fraction.toFixed(2) : String(count) };
    });
  });
  const field = normalize ? 'fraction' : 'count';
  const max = normalize ? 1 : Math.max(1, ...values.map((v) => v.count));
  const cell = Math.max(36, Math.min(70, Math.round(420 / n)));
  const axisLabelAngle = o.classNames.some((c) => c.length > 6) ? -35 : 0;
  return envelope(o.title ?? (normalize ? 'Confusion matrix (row-normalised)' : 'Confusion matrix'), undefined, {
    data: { values },
    width: cell * n,
    height: cell * n,
    encoding: {
      x: { field: 'predicted', type: 'nominal', sort: o.classNames, title: 'Predicted class', axis: { labelAngle: axisLabelAngle, orient: 'bottom' } },
      y: { field: 'true', type: 'nominal', sort: o.classNames, title: 'True class' },
    },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
        encoding: {
          color: { field, type: 'quantitative', scale: { scheme: 'blues', domain: [0, max] }, title: normalize ? 'Row fraction' : 'Count' },
          tooltip: [
            { field: 'true', title: 'True' },
            { field: 'predicted', title: 'Predicted' },
            { field: 'count', title: 'Count' },
            { field: 'fraction', title: 'Fraction of row', format: '.1%' },
          ],
        },
      },
      {
        mark: { type: 'text', fontSize: Math.round(cell / 3.6) },
        encoding: {
          text: { field: 'text' },
          // Dark cells get white text.
          color: { condition: { test: `datum.${field} > ${round(max * 0.55)}`, value: 'white' }, value: '#222' },
        },
      },
    ],
  });
}
