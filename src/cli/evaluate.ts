// `cellab evaluate FILE.csv [--label-col COL] [--positive LABEL] [--threshold-metric M] [--json] [--plots DIR]`:
// metrics, report and plots from a predictions CSV (DESIGN.md "Predictions").
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

export interface EvaluateOptions {
  file: string;
  labelCol?: string;
  positive?: string;
  thresholdMetric?: ThresholdMetric;
  plots?: string;
}

export interface EvaluateOutput {
  evaluation: ClassificationEvaluation;
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
  const metric = o.thresholdMetric ?? 'youden';
  if (!THRESHOLD_METRICS.includes(metric)) {
    throw new EvaluateInputError(`--threshold-metric \`${metric}\` is not available. Available: ${THRESHOLD_METRICS.join(', ')}.`);
  }
  let rows: CsvTable;
  try {
    rows = parseCsv(text, o.file); // its errors name the file and line
  } catch (err) {
    throw new EvaluateInputError((err as Error).message);
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
  describe: 'metrics, report and plots from a predictions CSV (id, path, label, one score column per class)',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'predictions CSV (every evaluated run logs one as predictions.csv)' })
      .option('label-col', { type: 'string', describe: 'column with the true label (default: label)' })
      .option('positive', { type: 'string', describe: 'binary: the positive class label (default: the second class / the one the score column names)' })
      .option('threshold-metric', { type: 'string', choices: THRESHOLD_METRICS as ThresholdMetric[], default: 'youden' as ThresholdMetric, describe: 'binary: the metric the decision threshold maximises' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on the last line' })
      .option('plots', { type: 'string', describe: 'write confusion_matrix.svg, roc.svg and pr.svg to this folder' })
      .example('$0 evaluate tracking/run/predictions.csv --plots plots/', 'a multi-class report and its plots')
      .example('$0 evaluate scores.csv --positive positive --threshold-metric f1 --json', 'a binary file, threshold maximising F1') as never,
  handler: async (args) => {
    process.exitCode = await runEvaluate(args);
  },
};
