// The notebook face of the experiment module: the same experiment file the
// CLI replays, loaded with overrides, run, and its results shown inline.
//
//   const exp = cl.experiment.fromFile('../experiments/quickstart.yaml', { set: { 'train.epochs': 2 } });
//   const result = await exp.run();
//   result.table();                              // trials x params x metrics
//   await result.best().plots.confusionMatrix(); // inline Vega-Lite (+ PNG for static exports)
import { inspect } from 'node:util';
import { loadExperimentFile, configToYaml, type LoadOptions, type ResolvedExperiment } from './config';
import { expandTrials, isSweep, trialLabel, type Trial } from './trials';
import { runSweep, formatTable, bestLine, rankConfigurations, searchTrials, type SweepSummary, type TrialRow } from './sweep';
import { IMPORTANCE_METHOD, paramImportance } from './importance';
import { pickBest } from './selection';
import { runExperiment, describeRunLocation, type RunSummary } from './run';
import type { ProgressMode } from './progress';
import { queryNeighbours, readEmbeddingTable, showNeighbours, type EmbeddingTable, type NeighbourOptions, type NeighbourRow } from './neighbours';
import { openTracking, findProjectRoot, type Tracking } from '../tracking/index';
import { evaluateClassification, predictionsFromRows, searchThreshold, type ClassificationEvaluation, type PredictionsTable } from '../eval/index';
import { parseCsv } from '../data/csv';
import { confusionMatrixSpec, rocSpec, prSpec, trainingCurvesSpec, sweepSpec, searchSpec, show, showTable, inNotebook, displayBundle, type VegaLiteSpec } from '../plots/index';
import type { Gallery } from '../data/index';
import { gradCamGallery, loadRunForAnalysis, misclassifiedGallery, mostConfusedGallery, topLossesGallery, type AnalysedRun } from './error-analysis';
import { shownGallery } from './galleries';
import { runLrFind, suggestedLr, type LrFindReport, type LrFindRunOptions } from './lr-find';
import { isMultiLabelRun, loadMultiLabelRuns, multiLabelPlots, multiLabelReportTable, thresholdTable, type MultiLabelRunView } from './multilabel-view';

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
    const row: TrialRow = { trial: 0, label: this.config.name, params: {}, outcome: trial.outcome, reason: trial.reason, runId: trial.runId, metrics: summary.metrics,
      threshold: Number.isFinite(trial.metrics.threshold) ? trial.metrics.threshold : undefined };
    return new ExperimentResult(this.resolved, summary, [row], tracking.uri);
  }

  /**
   * The LR range test on this experiment's data and model (exponentially growing learning
   * rate over ~100 steps, stopped at divergence), logged as its own run; in a notebook the
   * plot is shown with the suggested learning rates.
   */
  async lrFind(o: Omit<LrFindRunOptions, 'log'> = {}): Promise<LrFindReport> {
    const log = inNotebook() ? (line: string) => { process.stdout.write(line + '\n'); } : undefined;
    const r = await runLrFind(this.resolved, { ...o, log });
    await display(r.spec);
    const s = r.suggestions;
    Object.defineProperty(r, inspect.custom, {
      value: () => `<lr-find: suggested ${suggestedLr(s)?.toPrecision(3) ?? 'none'} (steepest ${s.steepest?.toPrecision(3) ?? '–'}, minimum/10 ${s['minimum/10']?.toPrecision(3) ?? '–'}); ${r.points.length} steps, ${r.reason}; run ${r.run_id}>`,
      enumerable: false,
    });
    return r;
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
    return formatTable(this.rows, 'sweep_id' in this.summary ? bestLine(pickBest(rankConfigurations(this.rows)).best, this.summary.best_reason) : undefined);
  }

  /** Mean and std across folds of each configuration, best first (chosen on validation, never test). */
  folds(): Record<string, unknown>[] {
    const split = this.resolved.config.eval.split;
    const rows = rankConfigurations(this.rows).map((g) => ({
      ...Object.fromEntries(Object.entries(g.params).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : v])),
      folds: g.n, 'val acc (selection)': g.selection ?? null,
      ...Object.fromEntries(Object.entries(g.mean).flatMap(([k, m]) => [[`${split} ${k}`, `${m.toFixed(3)} ± ${g.std[k].toFixed(3)}`]])),
    }));
    if (!inNotebook()) return rows;
    const why = 'best_reason' in this.summary && this.summary.best_reason ? ` — no best: ${this.summary.best_reason}` : '';
    showTable(rows, { title: `Mean ± std across folds (${split} split), ranked by validation accuracy${why}` });
    return shown(rows, `${rows.length} configuration(s), shown above`);
  }

  readonly plots = {
    /** A metric against the swept learning rate (log axis), one line per other swept key; or bars per configuration. */
    sweep: async (o: { metric?: string } = {}): Promise<VegaLiteSpec> => {
      const keys = [...new Set(this.rows.flatMap((r) => Object.keys(r.params)))];
      // Multi-label rows (they carry a Hamming loss) compare on micro F1, the protein study's headline.
      const metric = o.metric ?? (this.rows.some((r) => r.metrics.hamming_loss !== undefined) ? 'micro_f1'
        : this.rows.some((r) => r.metrics.average_class_accuracy !== undefined) ? 'average_class_accuracy' : 'accuracy');
      const x = keys.find((k) => /(^|\.)lr$/.test(k));
      const spec = sweepSpec(this.rows.map((r) => ({ trial: r.trial, params: r.params, metrics: r.metrics, outcome: r.outcome, fold: r.fold })), {
        metric, x, color: keys.find((k) => k !== x), title: `${this.resolved.config.name}: ${metric} by trial`,
      });
      return display(spec);
    },
    /**
     * How a search went: best-epoch validation accuracy (what selection and tpe read) by trial with
     * the best so far, parameters vs that metric as parallel coordinates, and parameter importance
     * (one-way ANOVA eta² per parameter, not fANOVA: see experiment/importance.ts).
     */
    search: async (): Promise<VegaLiteSpec> => {
      const trials = searchTrials(this.rows);
      if (!trials.some((t) => t.outcome === 'completed' && t.value !== null)) {
        throw new Error(`no completed trial has a validation accuracy to plot (outcomes: ${this.rows.map((r) => r.outcome).join(', ')}); a search needs dataset.split.valFraction > 0`);
      }
      return display(searchSpec(trials, {
        title: `${this.resolved.config.name}: search`,
        importance: paramImportance(trials.filter((t) => t.outcome === 'completed')), importanceMethod: IMPORTANCE_METHOD,
      }));
    },
  };

  /**
   * The best configuration, chosen on validation only (mean across folds, ties to the lower
   * validation loss, then sweep order). For k-fold studies it holds every fold's run, and its
   * evaluation pools their out-of-fold predictions. A single run is its own best.
   */
  best(): TrialView {
    const split = this.resolved.config.eval.split;
    if (!('sweep_id' in this.summary)) {
      const row = this.rows[0];
      if (row?.outcome !== 'completed') throw new Error(`the run ${row?.outcome ?? 'did not run'}${row?.reason ? `: ${row.reason}` : ''}; it has no predictions to plot`);
      return new TrialView(this.trackingUri, [row], split);
    }
    const summary = this.summary;
    if (!summary.best) {
      const why = summary.best_reason ?? 'no configuration completed';
      const trials = this.rows.map((r) => `trial ${r.trial}: ${r.outcome}${r.reason ? ` (${r.reason})` : ''}`).join('; ');
      throw new Error(`no best configuration: ${why}. Trials: ${trials}. Look at one with result.trial(i).`);
    }
    const ids = new Set(summary.best.run_ids);
    const rows = this.rows.filter((r) => r.runId && ids.has(r.runId));
    if (rows.length !== ids.size) {
      const missing = [...ids].filter((id) => !rows.some((r) => r.runId === id));
      throw new Error(`the recorded best run(s) ${missing.join(', ')} are not among this result's trials (${this.rows.map((r) => r.runId ?? '-').join(', ')}): ` +
        'the tracking store changed under the sweep; re-run with --resume to rebuild its summary');
    }
    return new TrialView(this.trackingUri, rows, split);
  }

  trial(index: number): TrialView {
    const row = this.rows.find((r) => r.trial === index);
    if (!row?.runId) throw new Error(`trial ${index} has no run. Trials: ${this.rows.map((r) => r.trial).join(', ')}`);
    if (row.outcome !== 'completed') throw new Error(`trial ${index} ${row.outcome}${row.reason ? `: ${row.reason}` : ''}; it has no predictions to plot`);
    return new TrialView(this.trackingUri, [row], this.resolved.config.eval.split);
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

/**
 * One configuration's results read back from tracking: a single run, or every fold's run
 * of a k-fold configuration (metrics are then means across folds, and the evaluation pools
 * the out-of-fold predictions). Where `eval.threshold` chose a decision threshold on
 * validation, plots and the report use it, as the logged metrics do.
 */
export class TrialView {
  private cache?: Promise<{ evaluation: ClassificationEvaluation; thresholds: (number | undefined)[]; positive?: number }>;
  private analysed?: Promise<AnalysedRun[]>;
  private multiCache?: Promise<MultiLabelRunView | undefined>;
  private trackingHandle?: Promise<Tracking>;
  readonly rows: TrialRow[];

  constructor(readonly trackingUri: string, rows: TrialRow | TrialRow[], readonly split = 'test') {
    this.rows = Array.isArray(rows) ? rows : [rows];
    if (this.rows.length === 0 || this.rows.some((r) => !r.runId)) throw new Error('a TrialView needs at least one run');
  }

  /** The first (or only) run. */
  get row(): TrialRow {
    return this.rows[0];
  }

  get runId(): string {
    return this.rows[0].runId!;
  }

  /** Every run of this configuration (one per fold). */
  get runIds(): string[] {
    return this.rows.map((r) => r.runId!);
  }

  get params(): Record<string, unknown> {
    return this.rows[0].params;
  }

  /** The reported split's metrics; the mean across folds for a k-fold configuration. */
  get metrics(): Record<string, number> {
    if (this.rows.length === 1) return this.rows[0].metrics;
    const names = [...new Set(this.rows.flatMap((r) => Object.keys(r.metrics)))];
    return Object.fromEntries(names.map((n) => {
      const xs = this.rows.map((r) => r.metrics[n]).filter(Number.isFinite);
      return [n, xs.reduce((a, b) => a + b, 0) / xs.length];
    }));
  }

  private get label(): string {
    const r = this.rows[0];
    // The configuration's params as a trial label reads them (a swept mapping as its keys, not [object Object]).
    return this.rows.length > 1 ? `${trialLabel({ params: r.params, index: r.trial }).replace(/^trial \d+$/, 'configuration')}, ${this.rows.length} folds pooled` : r.label;
  }

  private tracking(): Promise<Tracking> {
    this.trackingHandle ??= openTracking({ uri: this.trackingUri, log: () => undefined });
    return this.trackingHandle;
  }

  /** A run's logged predictions.csv, parsed; errors name the run and the artifact. */
  private async predictions(runId: string): Promise<PredictionsTable> {
    const tracking = await this.tracking();
    const where = `predictions.csv of run ${runId}`;
    let csv: Buffer;
    try {
      csv = await tracking.downloadArtifact(runId, 'predictions.csv');
    } catch (err) {
      throw new Error(`cannot read ${where} from ${this.trackingUri}: ${(err as Error).message}`);
    }
    const table = parseCsv(csv.toString('utf8'), where);
    try {
      return predictionsFromRows(table);
    } catch (err) {
      throw new Error(`${where}: ${(err as Error).message}`);
    }
  }

  /** Pooled predictions and the decision each run logged (its threshold, else argmax). */
  private load(): Promise<{ evaluation: ClassificationEvaluation; thresholds: (number | undefined)[]; positive?: number }> {
    this.cache ??= (async () => {
      const tracking = await this.tracking();
      const parts = await Promise.all(this.rows.map((r) => this.predictions(r.runId!)));
      const classNames = parts[0].classNames;
      parts.forEach((p, i) => {
        if (p.classNames.join('\u0000') !== classNames.join('\u0000')) {
          throw new Error(`runs ${this.runIds[0]} and ${this.runIds[i]} predict different classes (${classNames.join(', ')} vs ${p.classNames.join(', ')}): their predictions cannot be pooled`);
        }
      });
      let positive = parts[0].positive;
      const thresholds: (number | undefined)[] = [];
      for (const r of this.rows) {
        if (r.threshold === undefined) { thresholds.push(undefined); continue; }
        // The class the threshold applies to, as the trial logged it.
        const tag = (await tracking.getRun(r.runId!)).tags['cellab.threshold_positive'];
        const pos = tag !== undefined ? classNames.indexOf(tag) : 1;
        if (pos < 0) throw new Error(`run ${r.runId}: threshold positive class '${tag}' is not among its predicted classes (${classNames.join(', ')})`);
        positive = pos;
        thresholds.push(r.threshold);
      }
      const labels = parts.flatMap((p) => p.labels);
      const scores = parts.flatMap((p) => p.scores);
      // Each fold's own decision (a fold whose validation had one class fell back to argmax).
      const threshold = thresholds.some((t) => t !== undefined) ? parts.flatMap((p, i) => p.labels.map(() => thresholds[i])) : undefined;
      const evaluation = evaluateClassification({ labels, scores, classNames, positive, threshold });
      return { evaluation, thresholds, positive };
    })();
    return this.cache;
  }

  /** How predictions become classes: `argmax`, or the threshold(s) chosen on validation. */
  async decision(): Promise<string> {
    const { thresholds, positive, evaluation } = await this.load();
    if (thresholds.every((t) => t === undefined)) return 'argmax';
    const cls = evaluation.classNames[positive ?? 1];
    return `${cls} when its score >= ${thresholds.map((t) => (t === undefined ? 'argmax' : t.toFixed(4))).join(' / ')} (chosen on validation${thresholds.length > 1 ? ', per fold' : ''})`;
  }

  /** Multi-label runs (label sets): their pooled predictions at the runs' decisions; undefined for single-label runs. */
  multiLabel(): Promise<MultiLabelRunView | undefined> {
    this.multiCache ??= (async () => {
      const tracking = await this.tracking();
      return (await isMultiLabelRun(tracking, this.runId)) ? loadMultiLabelRuns(tracking, this.runIds) : undefined;
    })();
    return this.multiCache;
  }

  private async requireMultiLabel(what: string): Promise<MultiLabelRunView> {
    const v = await this.multiLabel();
    if (!v) throw new Error(`${what} is for multi-label runs (label sets); run ${this.runId} is single-label: use plots.confusionMatrix(), roc() or pr()`);
    return v;
  }

  /** Multi-label: each label's decision threshold, chosen on validation (thresholds.json). */
  async thresholds(): Promise<Record<string, unknown>[]> {
    const v = await this.requireMultiLabel('thresholds()');
    const rows = thresholdTable(v);
    if (!inNotebook()) return rows;
    showTable(rows, { title: `Decision thresholds (${this.label}): ${v.decisions[0]}` });
    return shown(rows, 'thresholds, shown above');
  }

  /** Per-class precision, recall, F1 and support, then micro/macro/weighted averages (scikit-learn's report); multi-label: per label, then micro/macro/weighted/samples. */
  async report(): Promise<Record<string, unknown>[]> {
    const ml = await this.multiLabel();
    if (ml) {
      const rows = multiLabelReportTable(ml);
      if (!inNotebook()) return rows;
      const m = ml.evaluation.metrics;
      showTable(rows, { title: `Multi-label report (${this.label}); subset accuracy ${m.subset_accuracy.toFixed(4)}, Hamming loss ${m.hamming_loss.toFixed(4)}${m.mean_ap !== undefined ? `, mean AP ${m.mean_ap.toFixed(4)}` : ''}` });
      return shown(rows, 'multi-label report, shown above');
    }
    const e = await this.evaluation();
    const m = e.metrics;
    const rows: Record<string, unknown>[] = e.perClass.map((c) => ({ class: c.className, precision: c.precision, recall: c.recall, f1: c.f1, support: c.support }));
    const n = e.perClass.reduce((s, c) => s + c.support, 0);
    rows.push({ class: 'micro avg', precision: m.micro_f1, recall: m.micro_f1, f1: m.micro_f1, support: n });
    rows.push({ class: 'macro avg', precision: m.macro_precision, recall: m.macro_recall, f1: m.macro_f1, support: n });
    rows.push({ class: 'weighted avg', precision: m.weighted_precision, recall: m.weighted_recall, f1: m.weighted_f1, support: n });
    if (!inNotebook()) return rows;
    showTable(rows, { title: `Classification report (${this.label}); average class accuracy ${m.average_class_accuracy.toFixed(4)}; decision: ${await this.decision()}` });
    return shown(rows, 'classification report, shown above');
  }

  /** Every metric the run logged (latest value), e.g. `test/pair_accuracy`, `val/loss` (the first run of a k-fold configuration). */
  async logged(o: { match?: RegExp } = {}): Promise<Record<string, number>> {
    const run = await (await this.tracking()).getRun(this.runId);
    const out = Object.fromEntries(Object.entries(run.metrics).filter(([k]) => !o.match || o.match.test(k)).sort(([a], [b]) => a.localeCompare(b)));
    if (!inNotebook()) return out;
    showTable(Object.entries(out).map(([metric, value]) => ({ metric, value })), { title: `Logged metrics (${this.rows[0].label})` });
    return shown(out, `${Object.keys(out).length} metric(s), shown above`);
  }

  /** Metrics, curves and the confusion matrix recomputed from the logged predictions, at the logged decision. */
  async evaluation(): Promise<ClassificationEvaluation> {
    return (await this.load()).evaluation;
  }

  readonly plots = {
    /** Multi-label: F1 per label with its support. */
    perLabel: async (): Promise<VegaLiteSpec> => display(multiLabelPlots(await this.requireMultiLabel('plots.perLabel()'), this.label).perLabel()),
    /** Multi-label: true positives, false negatives and false positives per label. */
    labelCounts: async (): Promise<VegaLiteSpec> => display(multiLabelPlots(await this.requireMultiLabel('plots.labelCounts()'), this.label).labelCounts()),
    /** Multi-label: how often labels occur together in the reported split. */
    cooccurrence: async (): Promise<VegaLiteSpec> => display(multiLabelPlots(await this.requireMultiLabel('plots.cooccurrence()'), this.label).cooccurrence()),
    /** Multi-label: precision-recall curve per label, the chosen threshold marked. */
    prPerLabel: async (): Promise<VegaLiteSpec> => display(multiLabelPlots(await this.requireMultiLabel('plots.prPerLabel()'), this.label).prPerLabel()),
    confusionMatrix: async (o: { normalize?: boolean } = {}): Promise<VegaLiteSpec> => {
      const e = await this.evaluation();
      const decision = await this.decision();
      const title = `Confusion matrix (${this.label})${decision === 'argmax' ? '' : `, at the threshold chosen on validation`}`;
      return display(confusionMatrixSpec({ matrix: e.confusionMatrix, classNames: e.classNames, normalize: o.normalize, title }));
    },
    roc: async (o: { operatingPoint?: 'youden' | 'f1' | 'balanced_accuracy' | 'accuracy' } = {}): Promise<VegaLiteSpec> => {
      const e = await this.evaluation();
      let operatingPoint;
      if (o.operatingPoint && e.classNames.length === 2) {
        // Shown for exploration: found on the reported split itself, so it is labelled as such.
        const pos = e.positive ?? 1;
        const { scores, labels } = await this.binaryScores(pos);
        const t = searchThreshold(scores, labels, { metric: o.operatingPoint });
        const [[tn, fp], [fn, tp]] = t.confusionMatrix;
        operatingPoint = { fpr: fp / Math.max(1, fp + tn), tpr: tp / Math.max(1, tp + fn), threshold: t.threshold, label: `${o.operatingPoint} ${t.value.toFixed(3)} (on ${this.split})` };
      }
      return display(rocSpec({ roc: e.roc, rocMacro: (e as { rocMacro?: { fpr: number[]; tpr: number[]; auc: number } }).rocMacro, operatingPoint, title: `ROC (${this.label})` }));
    },
    pr: async (): Promise<VegaLiteSpec> => display(prSpec({ pr: (await this.evaluation()).pr, title: `Precision-recall (${this.label})` })),
    /** The PCA of the embeddings logged by `eval.embeddings`. */
    pca: async (): Promise<VegaLiteSpec> => display(JSON.parse((await this.artifact('plots', 'pca.vl.json', 'PCA plot', 'set eval.embeddings in the experiment file')).toString('utf8')) as VegaLiteSpec),
    /** The similarity-threshold search logged by `eval.embeddings`: pair accuracy against the threshold, the chosen one. */
    similarityThreshold: async (): Promise<VegaLiteSpec> => display(JSON.parse((await this.artifact('plots', 'similarity_threshold.vl.json', 'similarity-threshold plot',
      'set eval.embeddings in the experiment file (its validation and test splits need same- and different-class pairs)')).toString('utf8')) as VegaLiteSpec),
    /** The error-analysis galleries (same as `errors.*`): top losses, most confused, misclassified, Grad-CAM. */
    topLosses: (o: { n?: number } = {}) => this.errors.topLosses(o),
    mostConfused: (o: { n?: number; examples?: number } = {}) => this.errors.mostConfused(o),
    misclassified: (o: { class?: string; n?: number } = {}) => this.errors.misclassified(o),
    gradCam: (o: { n?: number; ids?: string[] } = {}) => this.errors.gradCam(o),
    trainingCurves: async (): Promise<VegaLiteSpec> => {
      const tracking = await this.tracking();
      // Self-supervised runs: their own loss, the embedding spread and the k-NN / linear-probe accuracy.
      const ssl = (await tracking.getMetricHistory(this.runId, 'train/ssl_loss').catch((err: Error) => {
        throw new Error(`cannot read the history of train/ssl_loss for run ${this.runId} from ${tracking.uri}: ${err.message}`);
      })).length > 0;
      const keys = ssl ? ['train/ssl_loss', 'train/embedding_std', 'val/knn_accuracy', 'val/linear_probe_accuracy']
        : ['train/loss', 'val/loss', 'train/accuracy', 'val/accuracy'];
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
      return display(trainingCurvesSpec(history, { title: `Training curves (${this.rows[0].label})` }));
    },
  };

  /** Every run's config, predictions and dataset items, for the error-analysis galleries. */
  private runsForAnalysis(): Promise<AnalysedRun[]> {
    this.analysed ??= this.tracking().then((t) => Promise.all(this.runIds.map((id) => loadRunForAnalysis(t, id))));
    return this.analysed;
  }

  /** Error analysis as galleries (pictures in notebooks; pooled over the folds of a k-fold configuration). */
  readonly errors = {
    /** The `n` items with the highest loss: image, true class, prediction, its probability, loss. */
    topLosses: async (o: { n?: number } = {}): Promise<Gallery> => shownGallery(await topLossesGallery(await this.runsForAnalysis(), o)),
    /** The most confused (true, predicted) pairs with their counts and example images. */
    mostConfused: async (o: { n?: number; examples?: number } = {}): Promise<Gallery> => shownGallery(await mostConfusedGallery(await this.runsForAnalysis(), o)),
    /** Misclassified items of one class, or of every class (a row each). */
    misclassified: async (o: { class?: string; n?: number } = {}): Promise<Gallery> => shownGallery(await misclassifiedGallery(await this.runsForAnalysis(), o)),
    /** Grad-CAM of the top losses (or the given ids): the map for the predicted class, and for the true class when wrong. */
    gradCam: async (o: { n?: number; ids?: string[] } = {}): Promise<Gallery> =>
      shownGallery(await gradCamGallery(await this.tracking(), await this.runsForAnalysis(), o)),
  };
  /**
   * A logged artifact `dir/name`. Only an artifact that is not there gets `hint`; a store
   * that cannot be read, or a JSON file that does not parse, says why.
   */
  private async artifact(dir: string, name: string, what: string, hint: string): Promise<Buffer> {
    const tracking = await this.tracking();
    const file = `${dir}/${name}`;
    const listed = await tracking.listArtifacts(this.runId, dir).catch((err: Error) => {
      throw new Error(`cannot list the ${dir} of run ${this.runId} in ${tracking.uri}: ${err.message}`);
    });
    if (!listed.some((a) => a.path === file)) throw new Error(`run ${this.runId} has no ${what} (${file}): ${hint}`);
    const bytes = await tracking.downloadArtifact(this.runId, file).catch((err: Error) => {
      throw new Error(`cannot download ${file} of run ${this.runId} from ${tracking.uri}: ${err.message}`);
    });
    if (name.endsWith('.json')) {
      try {
        JSON.parse(bytes.toString('utf8'));
      } catch (err) {
        throw new Error(`${file} of run ${this.runId} is not valid JSON (${(err as Error).message}): the artifact is damaged; re-run the trial`);
      }
    }
    return bytes;
  }

  /** The embeddings of every image a self-supervised run logged (embeddings/embeddings.npy + embeddings/index.csv). */
  async embeddings(): Promise<EmbeddingTable> {
    const hint = 'embeddings are logged by self-supervised runs (train.method byol | simsiam)';
    return readEmbeddingTable(await this.artifact('embeddings', 'embeddings.npy', 'embeddings', hint),
      (await this.artifact('embeddings', 'index.csv', 'embedding index', hint)).toString('utf8'));
  }

  /** Top-k neighbours of a few query images by cosine similarity of the logged embeddings (the study's rank-10 figure). */
  async neighbours(o: NeighbourOptions = {}): Promise<NeighbourRow[]> {
    const table = await this.embeddings();
    const rows = queryNeighbours(table, o);
    const precision = rows.reduce((s, r) => s + r.precision, 0) / Math.max(1, rows.length);
    await showNeighbours(table, rows, { title: `Top-${rows[0]?.neighbours.length ?? 0} neighbours in the ${o.split ?? 'test'} split (${this.label}); same-class share ${precision.toFixed(3)}` });
    return inNotebook() ? shown(rows, `${rows.length} queries, shown above`) : rows;
  }

  private async binaryScores(pos: number): Promise<{ scores: number[]; labels: (0 | 1)[] }> {
    const parts = await Promise.all(this.rows.map((r) => this.predictions(r.runId!)));
    return { scores: parts.flatMap((p) => p.scores.map((s) => s[pos])), labels: parts.flatMap((p) => p.labels.map((l) => (l === pos ? 1 : 0) as 0 | 1)) };
  }
}

/** A value already shown as a table prints as one line when a notebook cell ends with it. */
export function shown<T extends object>(value: T, what: string): T {
  Object.defineProperty(value, inspect.custom, { value: () => `<${what}>`, enumerable: false });
  return value;
}

/** Show in a notebook; the returned spec prints as one line there (not a page of JSON). */
export async function display(spec: VegaLiteSpec): Promise<VegaLiteSpec> {
  if (inNotebook()) await show(spec);
  const title = typeof spec.title === 'string' ? spec.title : (spec.title as { text?: string } | undefined)?.text ?? 'plot';
  Object.defineProperty(spec, inspect.custom, { value: () => `<Vega-Lite spec: ${title}>`, enumerable: false });
  return spec;
}


