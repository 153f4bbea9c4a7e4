import { envelope, PALETTE, round, type VegaLiteSpec } from './spec';

export interface PcaSpecOptions {
  /** Rows of component coordinates (PcaResult.projected). */
  projected: number[][];
  /** Class name per row (colour). */
  labels: string[];
  /** Image id per row (tooltip). */
  ids?: string[];
  /** Shares of variance (PcaResult.explainedVarianceRatio), shown in the axis titles. */
  explainedVarianceRatio?: number[];
  /** Legend order (default: the labels sorted). */
  classNames?: string[];
  /** Which two components to plot (default [0, 1]). */
  axes?: [number, number];
  title?: string;
}

/** Scatter of the first two principal components, coloured by class, id and label in tooltips. */
export function pcaSpec(o: PcaSpecOptions): VegaLiteSpec {
  const [a, b] = o.axes ?? [0, 1];
  const k = o.projected[0]?.length ?? 0;
  if (a >= k || b >= k) throw new RangeError(`axes [${a}, ${b}] ask for component ${Math.max(a, b) + 1} but the projection has ${k}.`);
  if (o.labels.length !== o.projected.length) throw new RangeError(`labels has ${o.labels.length} entries but projected has ${o.projected.length} rows.`);
  const axisTitle = (c: number) => {
    const r = o.explainedVarianceRatio?.[c];
    return r === undefined ? `PC${c + 1}` : `PC${c + 1} (${(r * 100).toFixed(1)}% of variance)`;
  };
  const classes = o.classNames ?? [...new Set(o.labels)].sort();
  const values = o.projected.map((p, i) => ({ x: round(p[a]), y: round(p[b]), label: o.labels[i], id: o.ids?.[i] ?? String(i) }));
  return envelope(o.title ?? 'PCA of the embeddings', undefined, {
    width: 420,
    height: 380,
    data: { values },
    mark: { type: 'point', filled: true, size: 45, opacity: 0.75 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: axisTitle(a), scale: { zero: false } },
      y: { field: 'y', type: 'quantitative', title: axisTitle(b), scale: { zero: false } },
      color: { field: 'label', type: 'nominal', title: 'Class', scale: { domain: classes, range: classes.map((_, i) => PALETTE[i % PALETTE.length]) } },
      tooltip: [{ field: 'id', title: 'Image' }, { field: 'label', title: 'Class' }, { field: 'x', title: `PC${a + 1}` }, { field: 'y', title: `PC${b + 1}` }],
    },
  });
}
