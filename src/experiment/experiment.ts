// The notebook face of the experiment module: the same experiment file the
// CLI replays, loaded with overrides, run, and its results shown inline.
//
//   const exp = cl.experiment.fromFile('../experiments/quickstart.yaml', { set: { 'train.epochs': 2 } });
//   const result = await exp.run();
//   result.table();                              // trials x params x metrics
//   await result.best().plots.confusionMatrix(); // inline Vega-Lite (+ PNG for static exports)
import { inspect } from 'node:util';
import { loadExperimentFile, configToYaml, type LoadOptions, type ResolvedExperiment } from './config';
import { expandTrials, isSweep, type Trial } from './trials';
import { runSweep, formatTable, aggregate, type SweepSummary, type TrialRow } from './sweep';
import { runExperiment, describeRunLocation, type RunSummary } from './run';
import type { ProgressMode } from './progress';
import { openTracking, findProjectRoot, type Tracking } from '../tracking/index';
import { evaluateClassification, predictionsFromRows, searchThreshold, type ClassificationEvaluation, type PredictionsTable } from '../eval/index';
import { parseCsv } from '../data/csv';
import { confusionMatrixSpec, rocSpec, prSpec, trainingCurvesSpec, sweepSpec, show, showTable, inNotebook, displayBundle, type VegaLiteSpec } from '../plots/index';

export interface RunExperimentOptions {
  trackingUri?: string;
  parallel?: number;
  resume?: boolean;
  progress?: ProgressMode;
}

export class Experiment {
  constructor(readonly resolved: ResolvedExperiment) {}

  get config() {
    return this.resolved.config;
  }

  /** The trials this file expands to (sweep values x folds). */
  trials(): Trial[] {
    return expandTrials(this.config, findProjectRoot(this.resolved.baseDir));
  }

  /** The resolved config as YAML: what will be logged as config.yaml. */
  yaml(): string {
    return configToYaml(this.config);
  }

  async run(o: RunExperimentOptions = {}): Promise<ExperimentResult> {
    // In a notebook, status lines go to stdout: Jupyter paints stderr red, as if it were an error.
    const log = inNotebook() ? (line: string) => { process.stdout.write(line + '\n'); } : undefined;
    if (isSweep(this.config) || o.resume) {
      // Notebooks run trials in-process by default: live progress in the cell.
      const { summary, rows, tracking } = await runSweep(this.resolved, {
        trackingUri: o.trackingUri, parallel: o.parallel ?? 1, resume: o.resume, progress: o.progress, log,
        workerArgs: this.resolved.file ? [this.resolved.file, ...Object.entries(this.resolved.overrides).map(([k, v]) => ['--set', `${k}=${JSON.stringify(v)}`]).flat(), ...(this.resolved.profile ? ['--profile', this.resolved.profile] : [])] : undefined,
      });
      return new ExperimentResult(this.resolved, summary, rows, tracking.uri);
    }
    const { summary, trial, tracking } = await runExperiment(this.resolved, { trackingUri: o.trackingUri, progress: o.progress, log });
    const row: TrialRow = { trial: 0, label: this.config.name, params: {}, outcome: trial.outcome, reason: trial.reason, runId: trial.runId, metrics: summary.metrics };
    return new ExperimentResult(this.resolved, summary, [row], tracking.uri);
  }
}

/** Load an experiment file with the CLI's rules (profiles, --set overrides, path resolution). */
export function fromFile(file: string, o: LoadOptions = {}): Experiment {
  return new Experiment(loadExperimentFile(file, o));
}

export class ExperimentResult {
  constructor(
    readonly resolved: ResolvedExperiment,
    readonly summary: RunSummary | SweepSummary,
    readonly rows: TrialRow[],
    readonly trackingUri: string,
  ) {
    if (inNotebook()) this.showLinks();
  }

  /** One row per trial: params, reported metrics, outcome (a danfojs DataFrame). */
  table(): unknown {
    const flat = this.tableRows();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const dfd = require('danfojs');
    return new dfd.DataFrame(flat);
  }

  tableRows(): Record<string, unknown>[] {
    return this.rows.map((r) => ({
      trial: r.trial, ...Object.fromEntries(Object.entries(r.params).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : v])),
      ...(r.fold !== undefined ? { fold: r.fold } : {}), ...r.metrics, outcome: r.outcome, reason: r.reason ?? '', run_id: r.runId ?? '',
    }));
  }

  /** The table as HTML in a notebook (text elsewhere). */
  show(): void {
    showTable(this.tableRows(), { title: `${this.resolved.config.name}: ${this.rows.length} trial(s)` });
  }

  toString(): string {
    return formatTable(this.rows);
  }

  /** Mean and std across folds of each configuration (k-fold sweeps), best first by validation. */
  folds(): Record<string, unknown>[] {
    const groups = aggregate(this.rows).sort((a, b) => b.selection - a.selection);
    const rows = groups.map((g) => ({
      ...Object.fromEntries(Object.entries(g.params).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : v])),
      folds: g.n, 'val acc': g.selection,
      ...Object.fromEntries(Object.entries(g.mean).flatMap(([k, m]) => [[k, `${m.toFixed(3)} ± ${g.std[k].toFixed(3)}`]])),
    }));
    if (!inNotebook()) return rows;
    showTable(rows, { title: 'Mean ± std across folds (test split), best configuration first' });
    return shown(rows, `${rows.length} configuration(s), shown above`);
  }

  readonly plots = {
    /** A metric against the swept learning rate (log axis), one line per other swept key; or bars per configuration. */
    sweep: async (o: { metric?: string } = {}): Promise<VegaLiteSpec> => {
      const keys = [...new Set(this.rows.flatMap((r) => Object.keys(r.params)))];
      const metric = o.metric ?? (this.rows.some((r) => r.metrics.average_class_accuracy !== undefined) ? 'average_class_accuracy' : 'accuracy');
      const x = keys.find((k) => /(^|\.)lr$/.test(k));
      const spec = sweepSpec(this.rows.map((r) => ({ trial: r.trial, params: r.params, metrics: r.metrics, outcome: r.outcome, fold: r.fold })), {
        metric, x, color: keys.find((k) => k !== x), title: `${this.resolved.config.name}: ${metric} by trial`,
      });
      return display(spec);
    },
  };

  /** The best trial: highest validation accuracy of the selected configuration (never chosen on test). */
  best(): TrialView {
    const id = 'best' in this.summary && this.summary.best ? this.summary.best.run_id : this.summary.run_id;
    const done = this.rows.filter((r) => r.outcome === 'completed' && r.runId);
    const row = done.find((r) => r.runId === id) ?? done[0];
    if (!row) {
      const why = this.rows.map((r) => `trial ${r.trial}: ${r.outcome}${r.reason ? ` (${r.reason})` : ''}`).join('; ');
      throw new Error(`no trial completed, so there is no best trial: ${why}`);
    }
    return new TrialView(this.trackingUri, row);
  }

  trial(index: number): TrialView {
    const row = this.rows.find((r) => r.trial === index);
    if (!row?.runId) throw new Error(`trial ${index} has no run. Trials: ${this.rows.map((r) => r.trial).join(', ')}`);
    if (row.outcome !== 'completed') throw new Error(`trial ${index} ${row.outcome}${row.reason ? `: ${row.reason}` : ''}; it has no predictions to plot`);
    return new TrialView(this.trackingUri, row);
  }

  private showLinks(): void {
    const expId = this.summary.experiment_id;
    const items = this.rows.filter((r) => r.runId).map((r) => `<li>${escapeHtml(r.label)} — <code>${r.outcome}</code> — ${runLink(this.trackingUri, expId, r.runId!)}</li>`);
    const parent = 'sweep_id' in this.summary ? `<p>Sweep parent run: ${runLink(this.trackingUri, expId, this.summary.run_id)}</p>` : '';
    displayBundle({
      'text/html': `<div style="font-family:sans-serif;font-size:12px">${parent}<ul>${items.join('')}</ul></div>`,
      'text/plain': this.rows.map((r) => `${r.label}: ${r.outcome} ${r.runId ?? ''}`).join('\n'),
    });
  }
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function runLink(uri: string, experimentId: string, runId: string): string {
  if (uri.startsWith('http')) {
    const url = `${uri.replace(/\/+$/, '')}/#/experiments/${experimentId}/runs/${runId}`;
    return `<a href="${url}" target="_blank">${runId.slice(0, 8)}</a>`;
  }
  const where = describeRunLocation(uri, experimentId, runId, process.cwd()).split('  ')[0];
  return `<code title="${escapeHtml(where)}">${runId.slice(0, 8)}</code> (${escapeHtml(where)})`;
}

/** One run's results, read back from tracking (predictions.csv, metric history). */
export class TrialView {
  private cache?: { evaluation: ClassificationEvaluation; tracking: Tracking };

  constructor(readonly trackingUri: string, readonly row: TrialRow) {}

  get runId(): string {
    return this.row.runId!;
  }

  get params(): Record<string, unknown> {
    return this.row.params;
  }

  get metrics(): Record<string, number> {
    return this.row.metrics;
  }

  private async load(): Promise<{ evaluation: ClassificationEvaluation; tracking: Tracking }> {
    if (this.cache) return this.cache;
    const { tracking } = await this.load0();
    const p = await this.predictions(tracking);
    const evaluation = evaluateClassification({ labels: p.labels, scores: p.scores, classNames: p.classNames, positive: p.positive });
    this.cache = { evaluation, tracking };
    return this.cache;
  }

  /** Per-class precision, recall, F1 and support, then micro/macro/weighted averages (scikit-learn's report). */
  async report(): Promise<Record<string, unknown>[]> {
    const e = await this.evaluation();
    const m = e.metrics;
    const rows: Record<string, unknown>[] = e.perClass.map((c) => ({ class: c.className, precision: c.precision, recall: c.recall, f1: c.f1, support: c.support }));
    const n = e.perClass.reduce((s, c) => s + c.support, 0);
    rows.push({ class: 'micro avg', precision: m.micro_f1, recall: m.micro_f1, f1: m.micro_f1, support: n });
    rows.push({ class: 'macro avg', precision: m.macro_precision, recall: m.macro_recall, f1: m.macro_f1, support: n });
    rows.push({ class: 'weighted avg', precision: m.weighted_precision, recall: m.weighted_recall, f1: m.weighted_f1, support: n });
    if (!inNotebook()) return rows;
    showTable(rows, { title: `Classification report (${this.row.label}); average class accuracy ${m.average_class_accuracy.toFixed(4)}` });
    return shown(rows, 'classification report, shown above');
  }

  /** Every metric the run logged (latest value), e.g. `test/pair_accuracy`, `val/loss`. */
  async logged(o: { match?: RegExp } = {}): Promise<Record<string, number>> {
    const { tracking } = await this.load0();
    const run = await tracking.getRun(this.runId);
    const out = Object.fromEntries(Object.entries(run.metrics).filter(([k]) => !o.match || o.match.test(k)).sort(([a], [b]) => a.localeCompare(b)));
    if (!inNotebook()) return out;
    showTable(Object.entries(out).map(([metric, value]) => ({ metric, value })), { title: `Logged metrics (${this.row.label})` });
    return shown(out, `${Object.keys(out).length} metric(s), shown above`);
  }

  private trackingHandle?: Tracking;

  private async load0(): Promise<{ tracking: Tracking }> {
    this.trackingHandle ??= await openTracking({ uri: this.trackingUri, log: () => undefined });
    return { tracking: this.trackingHandle };
  }

  /** Metrics, curves and the confusion matrix recomputed from the logged predictions. */
  async evaluation(): Promise<ClassificationEvaluation> {
    return (await this.load()).evaluation;
  }

  readonly plots = {
    confusionMatrix: async (o: { normalize?: boolean } = {}): Promise<VegaLiteSpec> => {
      const e = await this.evaluation();
      return display(confusionMatrixSpec({ matrix: e.confusionMatrix, classNames: e.classNames, normalize: o.normalize, title: `Confusion matrix (${this.row.label})` }));
    },
    roc: async (o: { operatingPoint?: 'youden' | 'f1' | 'balanced_accuracy' | 'accuracy' } = {}): Promise<VegaLiteSpec> => {
      const e = await this.evaluation();
      let operatingPoint;
      if (o.operatingPoint && e.classNames.length === 2) {
        const pos = e.positive ?? 1;
        const { scores, labels } = await this.binaryScores(pos);
        const t = searchThreshold(scores, labels, { metric: o.operatingPoint });
        const [[tn, fp], [fn, tp]] = t.confusionMatrix;
        operatingPoint = { fpr: fp / Math.max(1, fp + tn), tpr: tp / Math.max(1, tp + fn), threshold: t.threshold, label: `${o.operatingPoint} ${t.value.toFixed(3)}` };
      }
      return display(rocSpec({ roc: e.roc, rocMacro: (e as { rocMacro?: { fpr: number[]; tpr: number[]; auc: number } }).rocMacro, operatingPoint, title: `ROC (${this.row.label})` }));
    },
    pr: async (): Promise<VegaLiteSpec> => display(prSpec({ pr: (await this.evaluation()).pr, title: `Precision-recall (${this.row.label})` })),
    /** The PCA of the embeddings logged by `eval.embeddings`. */
    pca: async (): Promise<VegaLiteSpec> => {
      const { tracking } = await this.load0();
      const file = 'plots/pca.vl.json';
      // Only a plot that is not there means "no embeddings"; a store that cannot be read says why.
      const listed = await tracking.listArtifacts(this.runId, 'plots').catch((err: Error) => {
        throw new Error(`cannot list the plots of run ${this.runId} in ${tracking.uri}: ${err.message}`);
      });
      if (!listed.some((a) => a.path === file)) {
        throw new Error(`run ${this.runId} has no PCA plot (${file}): set eval.embeddings in the experiment file`);
      }
      const json = await tracking.downloadArtifact(this.runId, file).catch((err: Error) => {
        throw new Error(`cannot download ${file} of run ${this.runId} from ${tracking.uri}: ${err.message}`);
      });
      let spec: VegaLiteSpec;
      try {
        spec = JSON.parse(json.toString('utf8')) as VegaLiteSpec;
      } catch (err) {
        throw new Error(`${file} of run ${this.runId} is not valid JSON (${(err as Error).message}): the artifact is damaged; re-run the trial`);
      }
      return display(spec);
    },
    trainingCurves: async (): Promise<VegaLiteSpec> => {
      const { tracking } = await this.load0();
      const keys = ['train/loss', 'val/loss', 'train/accuracy', 'val/accuracy'];
      const rows = new Map<number, Record<string, number>>();
      for (const k of keys) {
        // A metric the run never logged has an empty history; a failed download is an error, not a missing curve.
        const history = await tracking.getMetricHistory(this.runId, k).catch((err: Error) => {
          throw new Error(`cannot read the history of ${k} for run ${this.runId} from ${tracking.uri}: ${err.message}`);
        });
        for (const p of history) {
          rows.set(p.step, { ...(rows.get(p.step) ?? { epoch: p.step }), [k]: p.value });
        }
      }
      const history = [...rows.values()].sort((a, b) => a.epoch - b.epoch) as { epoch: number }[];
      return display(trainingCurvesSpec(history));
    },
  };

  /** The run's logged predictions.csv, parsed; errors name the run and the artifact. */
  private async predictions(tracking: Tracking): Promise<PredictionsTable> {
    const where = `predictions.csv of run ${this.runId}`;
    const table = parseCsv((await tracking.downloadArtifact(this.runId, 'predictions.csv')).toString('utf8'), where);
    try {
      return predictionsFromRows(table);
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`);
    }
  }

  private async binaryScores(pos: number): Promise<{ scores: number[]; labels: (0 | 1)[] }> {
    const { tracking } = await this.load();
    const p = await this.predictions(tracking);
    return { scores: p.scores.map((s) => s[pos]), labels: p.labels.map((l) => (l === pos ? 1 : 0)) };
  }
}

/** A value already shown as a table prints as one line when a notebook cell ends with it. */
function shown<T extends object>(value: T, what: string): T {
  Object.defineProperty(value, inspect.custom, { value: () => `<${what}>`, enumerable: false });
  return value;
}

/** Show in a notebook; the returned spec prints as one line there (not a page of JSON). */
async function display(spec: VegaLiteSpec): Promise<VegaLiteSpec> {
  if (inNotebook()) await show(spec);
  const title = typeof spec.title === 'string' ? spec.title : (spec.title as { text?: string } | undefined)?.text ?? 'plot';
  Object.defineProperty(spec, inspect.custom, { value: () => `<Vega-Lite spec: ${title}>`, enumerable: false });
  return spec;
}


