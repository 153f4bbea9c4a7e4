// Evaluation beyond the classification report, configured in `eval`:
// - `eval.threshold`: binary tasks pick a decision threshold on the
//   validation split and report the test split at that threshold (never tuned on test);
// - `eval.embeddings`: image query as in the histology study: embeddings from a
//   named layer, cosine similarity of image pairs, the similarity threshold
//   that maximises a metric (searched on validation pairs, reported on test
//   pairs), top-k neighbour precision, and a PCA plot.
import type * as tf from '@tensorflow/tfjs';
import { Random, seedFrom } from '../engine/random';
import type { BatchSource } from '../data/batches';
import { extractFeatures } from '../train/index';
import { pca, searchSimilarityThreshold, searchThreshold, thresholdCurve, cosineSimilarity, topKNeighbours } from '../eval/index';
import { pcaSpec, similarityThresholdSpec, type VegaLiteSpec } from '../plots/index';
import type { EmbeddingEvalConfig } from './schema';

export type ThresholdMetricName = 'f1' | 'youden' | 'balanced_accuracy' | 'accuracy';

/**
 * Binary: the threshold on the positive class's score that maximises `metric` on the
 * validation split. The caller evaluates the reported split at it (never tuned there).
 */
export function chooseThreshold(o: {
  metric: ThresholdMetricName; positive: number; numClasses: number; valScores: Float32Array; valLabels: Int32Array;
}): { threshold: number; value: number } {
  const s = Array.from({ length: o.valLabels.length }, (_, i) => o.valScores[i * o.numClasses + o.positive]);
  const y = Array.from(o.valLabels, (l) => (l === o.positive ? 1 : 0) as 0 | 1);
  const chosen = searchThreshold(s, y, { metric: o.metric });
  return { threshold: chosen.threshold, value: chosen.value };
}

/** Up to `n` pairs of distinct items, half of them same-class where possible (seeded). */
export function samplePairs(labels: ArrayLike<number>, n: number, seed: number): [number, number][] {
  const rng = new Random(seed);
  const byClass = new Map<number, number[]>();
  Array.from(labels).forEach((l, i) => byClass.set(l, [...(byClass.get(l) ?? []), i]));
  const sameClasses = [...byClass.values()].filter((m) => m.length >= 2);
  const pairs: [number, number][] = [];
  const seen = new Set<string>();
  const total = labels.length;
  if (total < 2) return pairs;
  for (let attempt = 0; pairs.length < n && attempt < n * 20; attempt++) {
    let a: number, b: number;
    if (pairs.length % 2 === 0 && sameClasses.length) {
      const members = rng.pick(sameClasses);
      a = rng.pick(members);
      b = rng.pick(members);
    } else {
      a = rng.int(total);
      b = rng.int(total);
    }
    if (a === b) continue;
    const key = a < b ? `${a},${b}` : `${b},${a}`;
    if (seen.has(key)) continue;
    seen.add(key);
    pairs.push([a, b]);
  }
  return pairs;
}

function rowsOf(f: { features: Float32Array; n: number; dim: number }): number[][] {
  return Array.from({ length: f.n }, (_, i) => Array.from(f.features.subarray(i * f.dim, (i + 1) * f.dim)));
}

export interface EmbeddingEvaluation {
  metrics: Record<string, number>;
  pcaPlot: VegaLiteSpec;
  /** Pair metric against the threshold (val and test pairs), when both have same- and different-class pairs. */
  thresholdPlot?: VegaLiteSpec;
}

export async function embeddingMetrics(model: tf.LayersModel, val: BatchSource, test: BatchSource, classes: string[],
  cfg: EmbeddingEvalConfig, seed: number): Promise<EmbeddingEvaluation> {
  const fv = await extractFeatures(model, val, { layer: cfg.layer });
  const ft = await extractFeatures(model, test, { layer: cfg.layer });
  const vRows = rowsOf(fv), tRows = rowsOf(ft);
  const pairsOf = (rows: number[][], labels: Int32Array, s: number) => {
    const pairs = samplePairs(labels, cfg.pairs, s);
    return { left: pairs.map(([a]) => rows[a]), right: pairs.map(([, b]) => rows[b]), same: pairs.map(([a, b]) => (labels[a] === labels[b] ? 1 : 0) as 0 | 1) };
  };
  const vp = pairsOf(vRows, fv.labels, seedFrom(seed, 'pairs', 'val'));
  const tp = pairsOf(tRows, ft.labels, seedFrom(seed, 'pairs', 'test'));
  const metrics: Record<string, number> = {};
  let thresholdPlot: VegaLiteSpec | undefined;
  if (vp.same.length >= 2 && tp.same.length >= 2) {
    const chosen = searchSimilarityThreshold(vp.left, vp.right, vp.same, { metric: cfg.metric });
    const testSims = tp.left.map((l, i) => cosineSimilarity(l, tp.right[i]));
    let correct = 0;
    testSims.forEach((s, i) => { if ((s >= chosen.threshold ? 1 : 0) === tp.same[i]) correct++; });
    metrics.similarity_threshold = chosen.threshold;
    metrics.pair_accuracy = correct / tp.same.length;
    const both = (same: (0 | 1)[]) => same.includes(0) && same.includes(1);
    if (both(vp.same) && both(tp.same) && Number.isFinite(chosen.threshold)) {
      const curve = (split: string, sims: number[], same: (0 | 1)[]) => ({ split, ...thresholdCurve(sims, same, { metric: cfg.metric, points: 200 }) });
      thresholdPlot = similarityThresholdSpec({
        curves: [curve('val', chosen.similarities, vp.same), curve('test', testSims, tp.same)], chosen: chosen.threshold, metric: cfg.metric,
        pairs: { similarities: testSims, same: tp.same }, title: `Similarity threshold search ('${cfg.layer}' embeddings)`,
        reference: cfg.referenceThreshold != null ? { value: cfg.referenceThreshold, label: `reference ${cfg.referenceThreshold}` } : undefined,
      });
    }
  }
  const k = Math.min(cfg.topK, Math.max(1, ft.n - 1));
  const neighbours = topKNeighbours(tRows, k);
  let hits = 0;
  neighbours.forEach((ns, q) => ns.forEach((nb) => { if (ft.labels[nb.index] === ft.labels[q]) hits++; }));
  metrics[`top${k}_precision`] = hits / Math.max(1, ft.n * k);
  const comps = Math.min(2, ft.dim, ft.n);
  const p = pca(tRows, comps);
  metrics.pca_explained_variance = p.explainedVarianceRatio.reduce((s, v) => s + v, 0);
  const pcaPlot = pcaSpec({
    projected: p.projected, labels: Array.from(ft.labels, (l) => classes[l]), ids: ft.ids,
    explainedVarianceRatio: p.explainedVarianceRatio, classNames: classes, title: `PCA of '${cfg.layer}' embeddings (test)`,
  });
  return { metrics, pcaPlot, thresholdPlot };
}
