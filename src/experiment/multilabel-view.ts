// A multi-label run read back from tracking, for notebooks (TrialView): its
// predictions.csv (label sets, scores, the run's own decisions) pooled over a
// configuration's runs, its chosen thresholds, and the per-label report and plots.
import type { Tracking } from '../tracking/index';
import { evaluateMultiLabel, isMultiLabelHeader, labelCooccurrence, multiLabelFromRows, multiLabelReportRows, type MultiLabelEvaluation } from '../eval/index';
import { parseCsv } from '../data/csv';
import { labelCooccurrenceSpec, labelCountsSpec, perLabelF1Spec, prPerLabelSpec, type VegaLiteSpec } from '../plots/index';

export interface MultiLabelRunView {
  evaluation: MultiLabelEvaluation;
  truth: number[][];
  /** Per run: label -> threshold (null for top-k), as thresholds.json logged it. */
  thresholds: (Record<string, number> | null)[];
  /** The runs' decision rule (tag cellab.decision). */
  decisions: string[];
}

/** True when a run's predictions.csv is the multi-label variant. */
export async function isMultiLabelRun(tracking: Tracking, runId: string): Promise<boolean> {
  const csv = await tracking.downloadArtifact(runId, 'predictions.csv').catch(() => undefined);
  return !!csv && isMultiLabelHeader(parseCsv(csv.toString('utf8'), `predictions.csv of run ${runId}`).header);
}

/** Pool the runs' predictions (each at its own decisions) and evaluate them together. */
export async function loadMultiLabelRuns(tracking: Tracking, runIds: string[]): Promise<MultiLabelRunView> {
  const parts = await Promise.all(runIds.map(async (id) => {
    const csv = await tracking.downloadArtifact(id, 'predictions.csv').catch((err: Error) => {
      throw new Error(`could not read predictions.csv of run ${id}: ${err.message}`);
    });
    const t = multiLabelFromRows(parseCsv(csv.toString('utf8'), `predictions.csv of run ${id}`));
    const th = await tracking.downloadArtifact(id, 'thresholds.json').then((b) => JSON.parse(b.toString('utf8')) as { thresholds: Record<string, number> | null }).catch(() => ({ thresholds: null }));
    const run = await tracking.getRun(id);
    return { t, thresholds: th.thresholds, decision: run.tags['cellab.decision'] ?? 'score >= 0.5' };
  }));
  const names = parts[0].t.classNames;
  parts.forEach((p, i) => {
    if (p.t.classNames.join('\u0000') !== names.join('\u0000')) throw new Error(`runs ${runIds[0]} and ${runIds[i]} predict different labels: their predictions cannot be pooled`);
  });
  const truth = parts.flatMap((p) => p.t.truth);
  const scores = parts.flatMap((p) => p.t.scores);
  const predicted = parts.every((p) => p.t.predicted) ? parts.flatMap((p) => p.t.predicted!) : undefined;
  return {
    evaluation: evaluateMultiLabel({ truth, scores, classNames: names, predicted }),
    truth, thresholds: parts.map((p) => p.thresholds), decisions: parts.map((p) => p.decision),
  };
}

/** Per-label rows then the averages (scikit-learn's classification_report for label sets). */
export function multiLabelReportTable(v: MultiLabelRunView): Record<string, unknown>[] {
  return multiLabelReportRows(v.evaluation).map((r) => ({ label: r.label, precision: r.precision, recall: r.recall, f1: r.f1, support: r.support }));
}

/** Each label's threshold (one column per run of the configuration). */
export function thresholdTable(v: MultiLabelRunView): Record<string, unknown>[] {
  return v.evaluation.classNames.map((c) => ({
    label: c, ...Object.fromEntries(v.thresholds.map((t, i) => [v.thresholds.length > 1 ? `threshold (run ${i + 1})` : 'threshold', t ? t[c] : null])),
  }));
}

export function multiLabelPlots(v: MultiLabelRunView, title: string): Record<'perLabel' | 'labelCounts' | 'cooccurrence' | 'prPerLabel', () => VegaLiteSpec> {
  const e = v.evaluation;
  const th = v.thresholds.length === 1 && v.thresholds[0] ? e.classNames.map((c) => v.thresholds[0]![c]) : undefined;
  return {
    perLabel: () => perLabelF1Spec({ perLabel: e.perLabel, micro: e.metrics.micro_f1, macro: e.metrics.macro_f1, title: `F1 per label (${title})`, subtitle: `decision: ${v.decisions[0].split(':')[0]}` }),
    labelCounts: () => labelCountsSpec({ perLabel: e.perLabel, title: `Per-label outcomes (${title})` }),
    cooccurrence: () => labelCooccurrenceSpec({ matrix: labelCooccurrence(v.truth, e.classNames.length), classNames: e.classNames, title: `True label co-occurrence (${title})` }),
    prPerLabel: () => prPerLabelSpec({ pr: e.pr, thresholds: th, title: `Precision-recall per label (${title})` }),
  };
}
