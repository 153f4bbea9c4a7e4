// A multi-label trial's evaluation: label scores of the validation and reported
// splits (per image; cell crops aggregated to their image first), the decision
// rule chosen on validation (eval.multiLabel), every multi-label metric at it,
// the chosen thresholds logged, the multi-label predictions.csv and plots.
import type { PreparedBatchSource } from '../data/batches';
import type { DatasetItem } from '../data/types';
import { labelMatrix } from '../data/labels';
import { formatCsv } from '../data/csv';
import {
  aggregateByImage, applyLabelDecision, chooseLabelDecision, describeLabelDecision, evaluateMultiLabel, labelCooccurrence, multiLabelPredictionRows,
  type LabelDecision, type MultiLabelEvaluation,
} from '../eval/index';
import { labelCountsSpec, labelCooccurrenceSpec, perLabelF1Spec, prPerLabelSpec, renderSvg, type VegaLiteSpec } from '../plots/index';
import type { RunLogger } from '../tracking/index';
import type { ExperimentConfig } from './schema';

/** Scores per image: cell crops become their image's scores (dataset.cells), else the rows as they are. */
export type ImageScores = (source: PreparedBatchSource, items: DatasetItem[], scores: Float32Array, classes: string[]) =>
  { ids: string[]; items: DatasetItem[]; rows: number[][]; truth: number[][] };

/** One row per item, truth from its label set. */
export const itemScores: ImageScores = (source, items, scores, classes) => {
  const K = classes.length;
  const byId = new Map(items.map((i) => [i.id, i]));
  const ordered = source.ids.map((id) => byId.get(id)!);
  const truth = labelMatrix(ordered, classes);
  return {
    ids: [...source.ids], items: ordered,
    rows: source.ids.map((_, i) => Array.from(scores.subarray(i * K, (i + 1) * K))),
    truth: source.ids.map((_, i) => Array.from(truth.subarray(i * K, (i + 1) * K))),
  };
};

/** Cell crops (dataset.cells): each image's score is the mean or max of its cells' scores; truth from the image's labels. */
export function cellImageScores(how: 'mean' | 'max'): ImageScores {
  return (source, items, scores, classes) => {
    const K = classes.length;
    const byId = new Map(items.map((i) => [i.id, i]));
    const cells = source.ids.map((id) => byId.get(id)!);
    const rows = source.ids.map((_, i) => scores.subarray(i * K, (i + 1) * K));
    const agg = aggregateByImage(cells.map((c) => c.crop?.image ?? c.id), rows, how);
    const first = new Map<string, DatasetItem>();
    for (const c of cells) if (!first.has(c.crop?.image ?? c.id)) first.set(c.crop?.image ?? c.id, c);
    const imageItems = agg.images.map((im) => { const { crop: _c, ...rest } = first.get(im)!; return { ...rest, id: im }; });
    const truth = labelMatrix(imageItems, classes);
    return { ids: agg.images, items: imageItems, rows: agg.rows, truth: agg.images.map((_, i) => Array.from(truth.subarray(i * K, (i + 1) * K))) };
  };
}

/** Metric and tag keys name labels: keep what MLflow accepts. */
const keyOf = (label: string) => label.replace(/[^A-Za-z0-9_\-. ]/g, '_');

export interface MultiLabelTrialEvaluation {
  metrics: Record<string, number>;
  evaluation: MultiLabelEvaluation;
  decision: LabelDecision;
}

/**
 * Evaluate a trained multi-label model. Returns undefined when its scores are not finite
 * (a run whose weights blew up has nothing to evaluate).
 */
export async function evaluateMultiLabelTrial(config: ExperimentConfig, o: {
  run: RunLogger; classes: string[]; val: PreparedBatchSource; target: PreparedBatchSource;
  valItems: DatasetItem[]; targetItems: DatasetItem[]; score: (s: PreparedBatchSource) => Promise<Float32Array>;
  images?: ImageScores; log: (line: string) => void; title: string;
}): Promise<MultiLabelTrialEvaluation | undefined> {
  const images = o.images ?? itemScores;
  const cfg = config.eval.multiLabel;
  const targetScores = await o.score(o.target);
  if (!targetScores.every(Number.isFinite)) return undefined;
  const t = images(o.target, o.targetItems, targetScores, o.classes);
  let kind = cfg.decision;
  let decision: LabelDecision;
  if ((kind === 'per-label' || kind === 'global') && o.val.size === 0) {
    const why = `eval.multiLabel.decision ${kind} needs a validation split to choose thresholds on; there is none, so every label uses ${cfg.threshold}. Set dataset.split.valFraction`;
    o.run.setTag('cellab.decision_fallback', why);
    o.log(`cellab: ${why}`);
    kind = 'fixed';
  }
  if (kind === 'per-label' || kind === 'global') {
    const v = images(o.val, o.valItems, await o.score(o.val), o.classes);
    decision = chooseLabelDecision(kind, v.rows, v.truth, o.classes, { fallback: cfg.threshold, minPositives: cfg.minPositives });
    if (decision.fellBack.length) o.log(`cellab: ${decision.fellBack.length} label(s) with fewer than ${cfg.minPositives} validation positives use the global threshold ${decision.fallback?.toPrecision(3)}: ${decision.fellBack.join(', ')}`);
  } else {
    decision = chooseLabelDecision(kind, t.rows, t.truth, o.classes, { threshold: cfg.threshold, k: Math.min(cfg.k, o.classes.length) });
  }
  const predicted = applyLabelDecision(t.rows, decision);
  const evaluation = evaluateMultiLabel({ truth: t.truth, scores: t.rows, classNames: o.classes, predicted });
  const metrics: Record<string, number> = { ...evaluation.metrics };
  // The same scores at a plain 0.5 threshold, for comparison with the tuned decision.
  if (!(decision.kind === 'fixed' && decision.thresholds[0] === 0.5)) {
    const at = evaluateMultiLabel({ truth: t.truth, scores: t.rows, classNames: o.classes });
    for (const k of ['micro_f1', 'macro_f1', 'micro_precision', 'micro_recall', 'accuracy']) metrics[`at_0.5/${k}`] = at.metrics[k];
  }

  const { run } = o;
  run.setTag('cellab.decision', describeLabelDecision(decision, o.classes));
  if (decision.thresholds.length) {
    decision.thresholds.forEach((th, c) => run.logMetric(`threshold/${keyOf(o.classes[c])}`, th, 0));
  }
  await run.logArtifact('thresholds.json', JSON.stringify({
    decision: decision.kind, chosen_on: kind === 'per-label' || kind === 'global' ? 'val' : 'config',
    thresholds: decision.thresholds.length ? Object.fromEntries(o.classes.map((c, i) => [c, decision.thresholds[i]])) : null,
    ...(decision.k !== undefined ? { k: decision.k } : {}),
    ...(decision.chosenValue !== undefined ? { val_f1: Array.isArray(decision.chosenValue)
      ? Object.fromEntries(o.classes.map((c, i) => [c, Number.isFinite((decision.chosenValue as number[])[i]) ? (decision.chosenValue as number[])[i] : null]))
      : decision.chosenValue } : {}),
    fell_back: decision.fellBack,
  }, null, 1));
  const csv = multiLabelPredictionRows({ ids: t.ids, paths: t.items.map((i) => i.path), classNames: o.classes, truth: t.truth, scores: t.rows, predicted });
  await run.logArtifact('predictions.csv', formatCsv(csv.header, csv.rows));
  const how = describeLabelDecision(decision, o.classes);
  const specs: [string, VegaLiteSpec][] = [
    ['per_label_f1', perLabelF1Spec({ perLabel: evaluation.perLabel, micro: metrics.micro_f1, macro: metrics.macro_f1, title: `F1 per label (${o.title})`, subtitle: `decision: ${how.split(':')[0]}` })],
    ['label_counts', labelCountsSpec({ perLabel: evaluation.perLabel, title: `Per-label outcomes (${o.title})` })],
    ['label_cooccurrence', labelCooccurrenceSpec({ matrix: labelCooccurrence(t.truth, o.classes.length), classNames: o.classes, title: `True label co-occurrence (${o.title})` })],
    ['pr_per_label', prPerLabelSpec({ pr: evaluation.pr, thresholds: decision.thresholds.length ? decision.thresholds : undefined, title: `Precision-recall per label (${o.title})` })],
  ];
  for (const [name, spec] of specs) {
    await run.logArtifact(`plots/${name}.svg`, await renderSvg(spec));
    await run.logArtifact(`plots/${name}.vl.json`, JSON.stringify(spec));
  }
  return { metrics, evaluation, decision };
}
