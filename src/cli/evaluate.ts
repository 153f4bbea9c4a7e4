// `cellab evaluate FILE.csv [--label-col COL] [--positive LABEL] [--threshold-metric M] [--json] [--plots DIR]`:
// metrics, report and plots from a predictions CSV (DESIGN.md "Predictions"). A multi-label
// file (a `labels` column with the true label set) gets the multi-label report, at the
// run's own decisions (its `predicted` column) unless --threshold T or --top-k K is given.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { classificationReport } from '../eval/report';
import { evaluateClassification, type ClassificationEvaluation } from '../eval/evaluate';
import { predictionsFromRows, type PredictionsTable } from '../eval/predictions-csv';
import { parseCsv, type CsvTable } from '../data/csv';
import { searchThreshold, THRESHOLD_METRICS, type ThresholdMetric, type ThresholdResult } from '../eval/threshold';
import { confusionMatrixSpec } from '../plots/confusion-matrix';
import { prSpec, rocSpec } from '../plots/curves';
import { writePlot } from '../plots/render';
import { isMultiLabelHeader, multiLabelFromRows } from '../eval/multilabel-csv';
import { evaluateMultiLabel, labelCooccurrence, multiLabelReport, type MultiLabelEvaluation } from '../eval/multilabel';
import { applyLabelDecision } from '../eval/label-decision';
import { perLabelF1Spec } from '../plots/per-label-f1';
import { labelCountsSpec } from '../plots/label-counts';
import { labelCooccurrenceSpec } from '../plots/label-cooccurrence';
import { prPerLabelSpec } from '../plots/pr-per-label';

export interface EvaluateOptions {
  file: string;
  labelCol?: string;
  positive?: string;
  thresholdMetric?: ThresholdMetric;
  plots?: string;
  /** Multi-label: predict every label whose score >= this (instead of the file's `predicted` column). */
  threshold?: number;
  /** Multi-label: predict the k best-scoring labels of each row. */
  topK?: number;
  /** Read the file as multi-label (automatic when it has a `labels` column and no `label` column). */
  multiLabel?: boolean;
}

export interface EvaluateOutput {
  /** Single-label files. */
  evaluation?: ClassificationEvaluation;
  /** Multi-label files. */
  multiLabel?: MultiLabelEvaluation;
  bestThreshold?: ThresholdResult;
  /** What `--json` prints: the metrics under bare names, plus best_threshold for binary. */
  json: Record<string, unknown>;
  /** The human-readable report. */
  text: string;
  plotFiles: string[];
}

/** Input the user can fix (file, columns, labels): exit code 1. */
export class EvaluateInputError extends Error {}

const pad = (s: string, n: number) => s.padEnd(n);
const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : String(x));

function matrixText(m: number[][], names: string[]): string {
  const w = Math.max(...names.map((n) => n.length), 6);
  const cw = Math.max(...m.flat().map((v) => String(v).length), 5) + 2;
  const head = ''.padStart(w + 2) + names.map((_, i) => `p${i}`.padStart(cw)).join('');
  return [head, ...m.map((row, i) => `${names[i].padStart(w)}  ${row.map((v) => String(v).padStart(cw)).join('')}`),
    `(rows: true class; columns p0..p${names.length - 1}: predicted, same order)`].join('\n');
}

export async function evaluateFile(o: EvaluateOptions): Promise<EvaluateOutput> {
  let text: string;
  try {
    text = await readFile(o.file, 'utf8');
  } catch (err) {
    throw new EvaluateInputError(`cannot read predictions file ${o.file}: ${(err as Error).message}`);
  }
  let rows: CsvTable;
  try {
    rows = parseCsv(text, o.file); // its errors name the file and line
  } catch (err) {
    throw new EvaluateInputError((err as Error).message);
  }
  if (o.multiLabel || (o.labelCol === undefined && isMultiLabelHeader(rows.header))) return evaluateMultiLabelFile(o, rows);
  if (o.threshold !== undefined || o.topK !== undefined) {
    throw new EvaluateInputError(`${o.file}: --threshold and --top-k apply to multi-label files (a \`labels\` column with the true label set); this file has a \`label\` column. For binary files use --threshold-metric`);
  }
  const metric = o.thresholdMetric ?? 'youden';
  if (!THRESHOLD_METRICS.includes(metric)) {
    throw new EvaluateInputError(`--threshold-metric \`${metric}\` is not available. Available: ${THRESHOLD_METRICS.join(', ')}.`);
  }
  let evaluation: ClassificationEvaluation;
  let table: PredictionsTable;
  try {
    table = predictionsFromRows(rows, { labelCol: o.labelCol, positive: o.positive });
    evaluation = evaluateClassification({ labels: table.labels, scores: table.scores, classNames: table.classNames, positive: table.positive });
  } catch (err) {
    throw new EvaluateInputError(`${o.file}: ${(err as Error).message}`);
  }
  const { classNames, metrics } = evaluation;
  const n = evaluation.predictions.length;
  let bestThreshold: ThresholdResult | undefined;
  const lines = [`${o.file}: ${n} predictions, ${classNames.length} classes`, '', classificationReport(evaluation, { digits: 4 }), matrixText(evaluation.confusionMatrix, classNames), ''];
  lines.push(...Object.entries(metrics).map(([k, v]) => `${pad(k, 24)} ${fmt(v)}`));
  if (evaluation.positive !== undefined) {
    const pos = evaluation.positive;
    const truth = table.labels.map((y) => (y === pos ? 1 : 0));
    const scores = table.scores.map((row) => row[pos]);
    if (truth.includes(0) && truth.includes(1)) {
      bestThreshold = searchThreshold(scores, truth, { metric });
      const b = bestThreshold;
      lines.push('', `best threshold for ${metric} (positive class: ${classNames[pos]}): ${fmt(b.threshold)}  ${metric} ${fmt(b.value)}, sensitivity ${fmt(b.sensitivity)}, specificity ${fmt(b.specificity)}`,
        matrixText(b.confusionMatrix, [classNames[1 - pos], classNames[pos]]));
    } else {
      lines.push('', `no threshold search: the labels hold only one class.`);
    }
  }
  const plotFiles: string[] = [];
  if (o.plots) {
    const cm = path.join(o.plots, 'confusion_matrix.svg'), roc = path.join(o.plots, 'roc.svg'), pr = path.join(o.plots, 'pr.svg');
    const b = bestThreshold;
    await writePlot(confusionMatrixSpec({ matrix: evaluation.confusionMatrix, classNames, title: `Confusion matrix (${path.basename(o.file)})` }), cm);
    await writePlot(rocSpec({ ...evaluation, ...(b && Number.isFinite(b.threshold) ? { operatingPoint: { fpr: 1 - b.specificity, tpr: b.sensitivity, threshold: b.threshold, label: `best ${metric}: threshold ${b.threshold.toPrecision(3)}` } } : {}) }), roc);
    await writePlot(prSpec(evaluation), pr);
    plotFiles.push(cm, roc, pr);
    lines.push('', `plots: ${plotFiles.join(', ')}`);
  }
  const json: Record<string, unknown> = { file: o.file, n, classes: classNames, ...metrics, confusion_matrix: evaluation.confusionMatrix };
  if (bestThreshold) {
    const { threshold, metric: m, value, confusionMatrix } = bestThreshold;
    json.best_threshold = { threshold, metric: m, value, confusion_matrix: confusionMatrix };
  }
  if (plotFiles.length) json.plots = plotFiles;
  return { evaluation, bestThreshold, json, text: lines.join('\n') + '\n', plotFiles };
}

/** A multi-label predictions CSV: per-label report, averages, subset accuracy, Hamming loss, AUC/AP, plots. */
async function evaluateMultiLabelFile(o: EvaluateOptions, rows: CsvTable): Promise<EvaluateOutput> {
  if (o.threshold !== undefined && o.topK !== undefined) throw new EvaluateInputError('give --threshold or --top-k, not both');
  let e: MultiLabelEvaluation;
  let how: string;
  try {
    const t = multiLabelFromRows(rows, { labelsCol: o.labelCol });
    if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK >= 1 && o.topK <= t.classNames.length)) {
      throw new RangeError(`--top-k ${o.topK}: expected an integer from 1 to ${t.classNames.length} (the number of labels)`);
    }
    const predicted = o.topK !== undefined ? applyLabelDecision(t.scores, { kind: 'top-k', thresholds: [], k: o.topK })
      : o.threshold !== undefined ? applyLabelDecision(t.scores, { kind: 'fixed', thresholds: t.classNames.map(() => o.threshold!) })
        : t.predicted;
    how = o.topK !== undefined ? `the ${o.topK} best-scoring label(s) per row` : o.threshold !== undefined ? `score >= ${o.threshold}`
      : t.predicted ? "the run's decisions (column `predicted`)" : 'score >= 0.5 (no `predicted` column)';
    e = evaluateMultiLabel({ truth: t.truth, scores: t.scores, classNames: t.classNames, predicted });
    const lines = [`${o.file}: ${t.ids.length} rows, ${t.classNames.length} labels (multi-label); decision: ${how}`, '', multiLabelReport(e, 4)];
    lines.push(...Object.entries(e.metrics).map(([k, v]) => `${k.padEnd(28)} ${fmt(v)}`));
    const plotFiles: string[] = [];
    if (o.plots) {
      const name = path.basename(o.file);
      const files: [string, ReturnType<typeof perLabelF1Spec>][] = [
        ['per_label_f1.svg', perLabelF1Spec({ perLabel: e.perLabel, micro: e.metrics.micro_f1, macro: e.metrics.macro_f1, title: `F1 per label (${name})`, subtitle: `decision: ${how}` })],
        ['label_counts.svg', labelCountsSpec({ perLabel: e.perLabel, title: `Per-label outcomes (${name})` })],
        ['label_cooccurrence.svg', labelCooccurrenceSpec({ matrix: labelCooccurrence(t.truth, t.classNames.length), classNames: t.classNames, title: `True label co-occurrence (${name})` })],
        ['pr_per_label.svg', prPerLabelSpec({ pr: e.pr, title: `Precision-recall per label (${name})` })],
      ];
      for (const [f, spec] of files) {
        await writePlot(spec, path.join(o.plots, f));
        plotFiles.push(path.join(o.plots, f));
      }
      lines.push('', `plots: ${plotFiles.join(', ')}`);
    }
    const json: Record<string, unknown> = {
      file: o.file, n: t.ids.length, labels: t.classNames, multi_label: true, decision: how, ...e.metrics,
      per_label: e.perLabel.map(({ label, precision, recall, f1, support, tp, fp, fn, auc, averagePrecision }) =>
        ({ label, precision, recall, f1, support, tp, fp, fn, auc: Number.isFinite(auc) ? auc : null, average_precision: Number.isFinite(averagePrecision) ? averagePrecision : null })),
      ...(plotFiles.length ? { plots: plotFiles } : {}),
    };
    return { multiLabel: e, json, text: lines.join('\n') + '\n', plotFiles };
  } catch (err) {
    if (err instanceof EvaluateInputError) throw err;
    throw new EvaluateInputError(`${o.file}: ${(err as Error).message}`);
  }
}

interface Output { write(s: string): unknown }

/** Runs the command: prints the report (and the JSON line), returns the exit code. */
export async function runEvaluate(args: EvaluateOptions & { json?: boolean }, io: { out: Output; err: Output } = { out: process.stdout, err: process.stderr }): Promise<number> {
  try {
    const result = await evaluateFile(args);
    io.out.write(result.text);
    if (args.json) io.out.write(JSON.stringify(result.json) + '\n');
    return 0;
  } catch (err) {
    // DESIGN.md exit codes: 1 bad input (nothing ran), 2 anything else that failed.
    io.err.write(`error: ${(err as Error).message}\n`);
    if (args.json) io.out.write(JSON.stringify({ status: 'FAILED', error: (err as Error).message }) + '\n');
    return err instanceof EvaluateInputError ? 1 : 2;
  }
}

export const evaluateCommand: CommandModule<object, EvaluateOptions & { json: boolean }> = {
  command: 'evaluate <file>',
  describe: 'metrics, report and plots from a predictions CSV (id, path, label, one score column per class; multi-label: labels = the true set)',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'predictions CSV (every evaluated run logs one as predictions.csv)' })
      .option('label-col', { type: 'string', describe: 'column with the true label (default: label)' })
      .option('positive', { type: 'string', describe: 'binary: the positive class label (default: the second class / the one the score column names)' })
      .option('threshold-metric', { type: 'string', choices: THRESHOLD_METRICS as ThresholdMetric[], default: 'youden' as ThresholdMetric, describe: 'binary: the metric the decision threshold maximises' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on the last line' })
      .option('plots', { type: 'string', describe: 'write confusion_matrix.svg, roc.svg and pr.svg (multi-label: per_label_f1, label_counts, label_cooccurrence, pr_per_label .svg) to this folder' })
      .option('threshold', { type: 'number', describe: "multi-label: predict every label scoring >= this (default: the file's `predicted` column, else 0.5)" })
      .option('top-k', { type: 'number', describe: 'multi-label: predict the k best-scoring labels of each row' })
      .option('multi-label', { type: 'boolean', describe: 'read a multi-label file whose label-set column is not `labels` (--label-col names it)' })
      .example('$0 evaluate tracking/run/predictions.csv --plots plots/', 'a multi-class report and its plots')
      .example('$0 evaluate scores.csv --positive positive --threshold-metric f1 --json', 'a binary file, threshold maximising F1')
      .example('$0 evaluate protein/predictions.csv --top-k 2', 'a multi-label file (column `labels`), two labels per image') as never,
  handler: async (args) => {
    process.exitCode = await runEvaluate(args);
  },
};
