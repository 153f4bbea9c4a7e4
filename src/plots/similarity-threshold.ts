import { envelope, PALETTE, round, type VegaLiteSpec } from './spec';

export interface SimilarityThresholdSpecOptions {
  /** The metric against the threshold, per split (e.g. val: where it was searched; test: where it is reported). */
  curves: { split: string; thresholds: number[]; values: number[] }[];
  /** The threshold chosen (on validation). */
  chosen: number;
  /** The metric's name, e.g. accuracy. */
  metric: string;
  /** Cosine similarity of each pair and whether it is a same-class pair (the histogram). */
  pairs?: { similarities: number[]; same: ArrayLike<0 | 1 | boolean> };
  /** A threshold to compare with, e.g. the study's 0.705. */
  reference?: { value: number; label: string };
  /** Histogram bins over the similarity range (default 40). */
  bins?: number;
  title?: string;
}

/**
 * The similarity-threshold search of an image-query study: the metric (pair accuracy)
 * against the threshold, the chosen threshold (and a reference one) as rules, and below
 * it the similarities of same-class and different-class pairs.
 */
export function similarityThresholdSpec(o: SimilarityThresholdSpecOptions): VegaLiteSpec {
  const curve = o.curves.flatMap((c) => c.thresholds.map((t, i) => ({ split: c.split, threshold: round(t), value: round(c.values[i]) })));
  const xs = [...curve.map((p) => p.threshold), ...(o.pairs?.similarities ?? []), o.chosen, ...(o.reference ? [o.reference.value] : [])].filter(Number.isFinite);
  const domain = [round(Math.min(...xs), 3), round(Math.max(...xs), 3)];
  const x = (title: string | null) => ({ field: 'threshold', type: 'quantitative', title, scale: { domain, nice: false } });
  // Labels at fixed heights (pixels from the top), one per rule, so close thresholds stay readable.
  const rules = [{ threshold: round(o.chosen), label: `chosen ${o.chosen.toFixed(3)}`, kind: 'chosen', y: 14 },
    ...(o.reference ? [{ threshold: round(o.reference.value), label: o.reference.label, kind: 'reference', y: 30 }] : [])];
  const splits = o.curves.map((c) => c.split);
  const top = {
    width: 460, height: 220,
    layer: [
      { data: { values: curve }, mark: { type: 'line', strokeWidth: 2, interpolate: 'step-after' },
        encoding: { x: x(null), y: { field: 'value', type: 'quantitative', title: `Pair ${o.metric}`, scale: { zero: false } },
          color: { field: 'split', type: 'nominal', title: 'Pairs', scale: { domain: splits, range: splits.map((_, i) => PALETTE[i === 0 ? 1 : i === 1 ? 2 : i + 2]) } },
          tooltip: [{ field: 'split' }, { field: 'threshold', format: '.3f' }, { field: 'value', title: o.metric, format: '.4f' }] } },
      { data: { values: rules }, mark: { type: 'rule', strokeWidth: 1.5 },
        encoding: { x: x(null), strokeDash: { field: 'kind', type: 'nominal', legend: null, scale: { domain: ['chosen', 'reference'], range: [[1, 0], [5, 4]] } }, color: { value: '#222' } } },
      // A label near the right edge goes on the rule's left so it stays inside the plot.
      ...(['left', 'right'] as const).map((align) => ({
        data: { values: rules.filter((r) => (align === 'right') === ((r.threshold - domain[0]) / ((domain[1] - domain[0]) || 1) > 0.7)) },
        mark: { type: 'text', align, dx: align === 'left' ? 4 : -4, fontSize: 11, baseline: 'middle' },
        encoding: { x: x(null), y: { field: 'y', type: 'quantitative', scale: null }, text: { field: 'label' } },
      })),
    ],
  };
  const parts: unknown[] = [top];
  if (o.pairs && o.pairs.similarities.length) {
    const bins = o.bins ?? 40;
    const [lo, hi] = domain;
    const width = (hi - lo) / bins || 1;
    const counts = new Map<string, number>();
    o.pairs.similarities.forEach((s, i) => {
      const b = Math.min(bins - 1, Math.max(0, Math.floor((s - lo) / width)));
      const key = `${o.pairs!.same[i] === 1 || o.pairs!.same[i] === true ? 'same class' : 'different class'}|${b}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    });
    const values = [...counts].map(([key, count]) => {
      const [pair, b] = key.split('|');
      return { pair, threshold: round(lo + Number(b) * width), end: round(lo + (Number(b) + 1) * width), count };
    }).sort((a, b) => a.pair.localeCompare(b.pair) || a.threshold - b.threshold);
    parts.push({
      width: 460, height: 140,
      data: { values },
      mark: { type: 'rect', opacity: 0.6 },
      encoding: { x: x('Cosine similarity (threshold)'), x2: { field: 'end' }, y: { field: 'count', type: 'quantitative', title: 'Pairs' }, y2: { datum: 0 },
        color: { field: 'pair', type: 'nominal', title: 'Pair', scale: { domain: ['same class', 'different class'], range: [PALETTE[4], PALETTE[0]] } },
        tooltip: [{ field: 'pair' }, { field: 'threshold', title: 'from', format: '.3f' }, { field: 'end', title: 'to', format: '.3f' }, { field: 'count' }] },
    });
  } else {
    (top.layer[0].encoding.x as { title: string | null }).title = 'Cosine similarity threshold';
  }
  return envelope(o.title ?? 'Similarity threshold search', `"same class" when cosine similarity >= threshold; chosen on ${o.curves[0]?.split ?? 'validation'} pairs`, {
    vconcat: parts,
    resolve: { scale: { color: 'independent' } },
  });
}
