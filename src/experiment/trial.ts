// One trial: data -> model -> train (with a tracking callback) -> eval ->
// plots -> tracking. A trial never throws for a diverged run: it reports the
// outcome. Bad config or input throws before anything trains.
import { phase } from './timing';
import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initEngine, deviceTag, type EngineInfo } from '../engine/backend';
import { loadDataset, type LoadedDataset } from '../data/load';
import type { PreparedBatchSource } from '../data/batches';
import type { BadInput } from '../data/bad-input';
import { ensureSynthetic } from '../data/ensure-synthetic';
import { formatCsv } from '../data/csv';
import { splitDataset } from '../data/split';
import { prepareSplitSources } from '../data/split-sources';
import type { AnomalyResult } from '../data/anomaly';
import { computeClassWeights, type ClassWeights } from '../data/class-weights';
import type { DatasetItem, DatasetSplit } from '../data/types';
import { buildModel } from '../models/index';
import { fit, fitLinearHead, predictScores, priorLabelOutputs, priorLogits, scoreActivation, type EpochRow, type TrainOutcome, type TrainResult } from '../train/index';
import { evaluateClassification, type ClassificationEvaluation } from '../eval/index';
import { confusionMatrixSpec, renderSvg, rocSpec, trainingCurvesSpec } from '../plots/index';
import type { RunLogger, Tracking } from '../tracking/index';
import { canonicalJson, configHash, configToYaml, flattenConfig, type ResolvedExperiment } from './config';
import type { ExperimentConfig } from './schema';
import { createProgress, type ProgressMode } from './progress';
import { chooseThreshold, embeddingMetrics } from './extra-eval';
import { isRunReference, resolvePretrainedRun } from './pretrained-run';
import { pretrainSelfSupervised } from './ssl-trial';
import { cellImageScores, evaluateMultiLabelTrial, type ImageScores } from './multilabel-eval';
import { cellItems } from '../data/cells/expand';
import type { MultiLabelEvaluation } from '../eval/multilabel';
import { ConfigError } from '../engine/schema';
import type { EpochPruner } from './pruning';
import { checkBagConfig, prepareBagData, runBagModel, splitBagTrial, type BagTrialData } from './bag-trial';
import { logAnomalyGallery, logSvgAndPng, noteForTrial, startTrialSystemMetrics } from './trial-extras';

// pruned: stopped early by a search (KILLED run); collapsed: self-supervised embeddings with ~0 spread (FAILED, like diverged).
export type Outcome = TrainOutcome | 'error' | 'interrupted' | 'pruned' | 'collapsed';

export interface TrialResult {
  runId: string;
  experimentId: string;
  outcome: Outcome;
  /** MLflow status string of the run. */
  status: 'FINISHED' | 'FAILED' | 'KILLED';
  reason?: string;
  /** Bare metric names of the reported split (eval.split). */
  metrics: Record<string, number>;
  history: EpochRow[];
  /** The epoch whose weights were evaluated. */
  bestEpoch: number;
  evaluation?: ClassificationEvaluation;
  /** Multi-label trials: the evaluation at the decision chosen on validation. */
  multiLabel?: MultiLabelEvaluation;
  configHash: string;
  params: Record<string, unknown>;
  fold?: number;
}

export interface TrialContext {
  resolved: ResolvedExperiment;
  tracking: Tracking;
  experimentId: string;
  engine: EngineInfo;
  projectRoot: string;
  /** Trial-specific values (sweep params) and fold. */
  params?: Record<string, unknown>;
  fold?: number;
  parentRunId?: string;
  runName?: string;
  extraTags?: Record<string, string>;
  progress?: ProgressMode;
  log?: (line: string) => void;
  /** A search's pruning rule (sweep.prune): may stop training after an epoch; the trial then ends `pruned`. */
  pruner?: EpochPruner;
}

/** `cellab.dataset_digest`: ids, labels, splits and file sizes, 8 hex digits like MLflow's. */
export function datasetDigest(items: DatasetItem[]): string {
  const h = createHash('sha256');
  for (const it of [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    let size = -1;
    try { size = fs.statSync(it.path).size; } catch { /* counted as missing elsewhere */ }
    h.update(`${it.id}\t${it.label}\t${it.split ?? ''}\t${it.group ?? ''}\t${size}\n`);
  }
  return h.digest('hex').slice(0, 8);
}

/**
 * predictions.csv: id, path, label, then one score column per class (DESIGN.md conventions).
 * Scores at full float32 precision: each parses back to the exact value evaluated, so
 * metrics recomputed from the file equal the logged ones.
 */
export function predictionsCsv(items: DatasetItem[], ids: string[], scores: Float32Array, classes: string[]): string {
  const byId = new Map(items.map((i) => [i.id, i]));
  const k = classes.length;
  return formatCsv(['id', 'path', 'label', ...classes], ids.map((id, r) => {
    const it = byId.get(id);
    if (!it) throw new Error(`predictions.csv: scored id ${id} is not among the evaluated items (a bug: please report it)`);
    return [id, it.path, it.label, ...scores.subarray(r * k, (r + 1) * k)];
  }));
}

function tagsFor(ctx: TrialContext, hash: string, digest?: string): Record<string, string> {
  const tags: Record<string, string> = {
    'cellab.backend': ctx.engine.backend,
    'cellab.device': deviceTag(ctx.engine),
    'cellab.config_hash': hash,
    ...ctx.resolved.config.tracking.tags,
    ...ctx.extraTags,
  };
  if (digest) tags['cellab.dataset_digest'] = digest;
  if (ctx.resolved.config.description) tags['mlflow.note.content'] = ctx.resolved.config.description;
  return tags;
}

async function logPlots(run: RunLogger, evaluation: ClassificationEvaluation, history: EpochRow[], split: string, thresholded: boolean): Promise<void> {
  const title = `Confusion matrix (${split})${thresholded ? ', at the threshold chosen on validation' : ''}`;
  const cm = confusionMatrixSpec({ matrix: evaluation.confusionMatrix, classNames: evaluation.classNames, title });
  await logSvgAndPng(run, 'plots/confusion_matrix', await renderSvg(cm), title);
  await run.logArtifact('plots/confusion_matrix.vl.json', JSON.stringify(cm, null, 1));
  // A class missing from the truth has no ROC curve; the spec says so in its subtitle.
  if (evaluation.roc.some((r) => Number.isFinite(r.auc))) {
    await logSvgAndPng(run, 'plots/roc', await renderSvg(rocSpec({ roc: evaluation.roc, rocMacro: evaluation.rocMacro, title: `ROC (${split})` })), 'ROC');
  }
  if (history.length) {
    const curves = trainingCurvesSpec(history);
    await logSvgAndPng(run, 'plots/training_curves', await renderSvg(curves), 'Training curves');
  }
}

/**
 * `eval.threshold` (binary): the decision threshold chosen on validation, which the
 * reported split's metrics, confusion matrix and predictions are then evaluated at.
 */
async function decisionThreshold(config: ExperimentConfig, o: {
  val: PreparedBatchSource; classes: string[]; run: RunLogger; score: (s: PreparedBatchSource) => Promise<Float32Array>; log: (line: string) => void;
}): Promise<{ threshold: number; positive: number } | undefined> {
  if (!config.eval.threshold || o.classes.length !== 2) return undefined;
  if (new Set(o.val.labels).size < 2) {
    // A small grouped split can leave one class out of validation: no threshold to tune there.
    const why = `eval.threshold skipped: the validation split has only one class (${o.val.size} items); raise dataset.split.valFraction. Metrics use argmax`;
    o.run.setTag('cellab.threshold_skipped', why);
    o.log(`cellab: ${why}`);
    return undefined;
  }
  const positive = config.eval.positive ? o.classes.findIndex((c) => c.toLowerCase() === config.eval.positive!.toLowerCase()) : 1;
  if (positive < 0) throw new ConfigError([`eval.positive '${config.eval.positive}' is not a class. Classes: ${o.classes.join(', ')}`]);
  const chosen = chooseThreshold({ metric: config.eval.threshold, positive, numClasses: 2, valScores: await o.score(o.val), valLabels: o.val.labels });
  o.run.setTag('cellab.threshold_positive', o.classes[positive]);
  o.run.setTag('cellab.decision', `${o.classes[positive]} when its score >= ${chosen.threshold} (maximises ${config.eval.threshold} on validation: ${chosen.value.toFixed(4)})`);
  return { threshold: chosen.threshold, positive };
}

/** `eval.embeddings` (see extra-eval.ts). */
async function embeddingEval(config: ExperimentConfig, net: tf.LayersModel, o: {
  val: PreparedBatchSource; target: PreparedBatchSource; classes: string[]; run: RunLogger; seed: number;
}): Promise<Record<string, number>> {
  if (!config.eval.embeddings || o.val.size === 0) return {};
  const e = await embeddingMetrics(net, o.val, o.target, o.classes, config.eval.embeddings, o.seed);
  await logSvgAndPng(o.run, 'plots/pca', await renderSvg(e.pcaPlot), 'PCA of the embeddings');
  await o.run.logArtifact('plots/pca.vl.json', JSON.stringify(e.pcaPlot));
  if (e.thresholdPlot) {
    await o.run.logArtifact('plots/similarity_threshold.svg', await renderSvg(e.thresholdPlot));
    await o.run.logArtifact('plots/similarity_threshold.vl.json', JSON.stringify(e.thresholdPlot));
  }
  return e.metrics;
}

/**
 * Load the dataset (generating the synthetic set when configured) and split it.
 * Bad input is returned in `dataset.skipped`, not thrown: loadTrialData reports it
 * together with what decoding finds, in one message.
 */
export async function prepareData(config: ExperimentConfig, fold?: number, log?: (l: string) => void): Promise<{ dataset: LoadedDataset; split: DatasetSplit }> {
  await ensureSynthetic(config.dataset, log);
  const dataset = loadDataset(config.dataset, { collect: true });
  const split = config.dataset.bags ? splitBagTrial(config, dataset, fold) : splitDataset(dataset.items, config.dataset.split, fold);
  return { dataset, split };
}

/** Decoded, split, model-ready data of one trial (prepared before its run starts). */
export interface TrialData {
  dataset: LoadedDataset;
  /** The split used: bad items skipped, anomalies out of train. */
  split: DatasetSplit;
  /** Class names of the model's outputs (shorter than dataset.classes when a class was skipped). */
  classes: string[];
  /** Augmented when dataset.augment is set; normalised with training-split statistics. */
  train: PreparedBatchSource;
  val: PreparedBatchSource;
  test: PreparedBatchSource;
  skipped: BadInput[];
  /** dataset.anomalyFilter's result on the training split. */
  anomalies?: AnomalyResult;
  classWeights: ClassWeights;
  digest: string;
  /** Label sets per item (dataset.multiLabel: multi): sigmoid-style heads, multi-label metrics. */
  multiLabel: boolean;
  /** Cell crops (dataset.cells): how cell scores become image scores. */
  images?: ImageScores;
  /** Patient-level studies (dataset.bags): the bags, their metadata, bag-level class weights. */
  bags?: BagTrialData;
  /** Release cache files held open by streaming sources (runTrial does, when it ends). */
  close(): void;
}

/** Every label occurrence of 0/1 label sets as a class index (a label that is never first still counts). */
function labelOccurrences(targets: Uint8Array, k: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < targets.length; i++) if (targets[i]) out.push(i % k);
  return out;
}

/** Multi-label data and the model/loss/eval settings must agree: checked before a run exists. */
export function checkMultiLabelConfig(config: ExperimentConfig, multiLabel: boolean): void {
  const problems: string[] = [];
  const head = config.model.head;
  if (multiLabel) {
    // head dense: the first-label reduction (softmax on each image's first label), evaluated on the label sets.
    if (head === 'linear') problems.push('model.head linear is single-label: for label sets (dataset.multiLabel: multi) use model.head: multilabel');
    if (head === 'multilabel' && config.train.loss === 'cross-entropy') problems.push("train.loss cross-entropy is for single-label data: multi-label heads train with 'bce' or 'focal'");
    if (head === 'dense' && config.train.loss === 'bce') problems.push("model.head dense with label sets trains on each image's first label (softmax): use train.loss cross-entropy or focal, or model.head: multilabel for bce");
    if (head === 'dense' && config.train.headActivation !== 'sigmoid') problems.push(`train.headActivation ${config.train.headActivation} applies to model.head: multilabel`);
    if (config.eval.threshold) problems.push('eval.threshold is for binary tasks; multi-label decisions are set by eval.multiLabel.decision');
    if (config.eval.embeddings) problems.push('eval.embeddings needs single labels (pairs of the same class); turn it off for multi-label data');
  } else {
    if (head === 'multilabel') problems.push('model.head is multilabel but the data has one label per item: set dataset.multiLabel: multi (label sets) or model.head: dense');
    if (config.train.headActivation !== 'sigmoid') problems.push(`train.headActivation ${config.train.headActivation} applies to multi-label heads (model.head: multilabel)`);
  }
  if (problems.length) throw new ConfigError(problems);
}

/**
 * What loadTrialData's result depends on (dataset section, seed, fold), so that a
 * sweep worker can load a trial's data before it knows which trial it gets and
 * use it when the key matches. Undefined for patient bags (they read model and
 * eval settings too): loaded per trial.
 */
export function trialDataKey(config: ExperimentConfig, fold?: number): string | undefined {
  if (config.dataset.bags) return undefined;
  return canonicalJson({ dataset: config.dataset, seed: config.train.seed, fold: fold ?? null });
}

/** loadTrialData's config checks, for data loaded under another trial's config with the same trialDataKey. */
export function checkTrialData(config: ExperimentConfig, data: TrialData): void {
  checkBagConfig(config);
  checkMultiLabelConfig(config, data.multiLabel);
}

/**
 * Everything that can fail on bad config or input, done before a run exists
 * (exit code 1: nothing ran).
 */
export async function loadTrialData(config: ExperimentConfig, o: { fold?: number; progress?: ProgressMode; log?: (l: string) => void } = {}): Promise<TrialData> {
  checkBagConfig(config);
  const { dataset, split: imageSplit } = await prepareData(config, o.fold, o.log);
  const multiLabel = dataset.items.some((i) => i.labels !== undefined);
  checkMultiLabelConfig(config, multiLabel);
  // dataset.cells: images are split first (a field's cells stay on its side), then cut into cells.
  const cells = config.dataset.cells ? await splitIntoCells(imageSplit, config, multiLabel, o) : undefined;
  const split = cells?.split ?? imageSplit;
  const total = new Set([...split.train, ...split.val, ...split.test].map((i) => i.id)).size;
  const bar = createProgress(cells ? 'cells' : 'images', total, { mode: o.progress });
  const s = await prepareSplitSources(split, dataset.classes, config.dataset, { seed: config.train.seed, onProgress: (d) => bar.update(d), earlier: [...dataset.skipped, ...(cells?.skipped ?? [])] });
  bar.finish({ train: s.train.size, val: s.val.size, test: s.test.size, cached: s.prepared.fromCache,
    ...(s.anomalies ? { anomalies: s.anomalies.dropped.length } : {}) });
  return {
    dataset, split: s.split, classes: s.classes, train: s.train, val: s.val, test: s.test,
    skipped: [...dataset.skipped, ...(cells?.skipped ?? []), ...s.skipped], anomalies: s.anomalies, classWeights: s.classWeights,
    digest: datasetDigest(dataset.items), multiLabel: s.multiLabel,
    ...(config.dataset.cells ? { images: cellImageScores(config.dataset.cells.aggregate) } : {}), close: s.close,
    ...(config.dataset.bags ? { bags: prepareBagData(config, s.split, s.classes) } : {}),
  };
}

/** Every split's images as single-cell crops (dataset.cells); images without a cell are bad input. */
async function splitIntoCells(split: DatasetSplit, config: ExperimentConfig, multiLabel: boolean, o: { progress?: ProgressMode; log?: (l: string) => void }):
  Promise<{ split: DatasetSplit; skipped: BadInput[] }> {
  const cfg = config.dataset.cells;
  if (!cfg) throw new Error('dataset.cells is off');
  if (!multiLabel) throw new ConfigError(['dataset.cells aggregates cell scores into image predictions for multi-label data: set dataset.multiLabel: multi (HPA label sets), or turn dataset.cells off']);
  const images = [...split.train, ...split.val, ...split.test];
  const bar = createProgress('finding cells', images.length, { mode: o.progress, unit: 'images' });
  const found = await cellItems(images, cfg, config.dataset.root ?? path.dirname(config.dataset.manifest ?? '.'), (d) => bar.update(d));
  const cellsOf = (list: DatasetItem[]) => { const ids = new Set(list.map((i) => i.id)); return found.items.filter((c) => ids.has(c.crop!.image)); };
  const n = [...found.counts.values()];
  bar.finish({ cells: found.items.length, 'per image': (n.reduce((a, b) => a + b, 0) / Math.max(1, n.length)).toFixed(1) });
  return { split: { ...split, train: cellsOf(split.train), val: cellsOf(split.val), test: cellsOf(split.test) }, skipped: found.skipped };
}

export async function runTrial(ctx: TrialContext, data: TrialData): Promise<TrialResult> {
  const { config } = ctx.resolved;
  const log = ctx.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const hash = configHash(config, ctx.fold !== undefined ? { fold: ctx.fold } : {}, ctx.projectRoot);
  const run = await ctx.tracking.startRun({
    experimentId: ctx.experimentId,
    runName: ctx.runName ?? config.name,
    parentRunId: ctx.parentRunId,
    tags: tagsFor(ctx, hash, data.digest),
  });
  const params = { ...flattenConfig({ dataset: config.dataset, model: config.model, train: config.train, eval: config.eval }), ...(ctx.fold !== undefined ? { fold: ctx.fold } : {}) };
  run.logParams(params);
  const sampler = startTrialSystemMetrics(config, run);
  let status: TrialResult['status'] = 'FAILED';
  let model: tf.LayersModel | undefined;
  try {
    await run.logArtifact('config.yaml', configToYaml(config));
    run.logInput({ name: config.name, digest: data.digest, source: JSON.stringify({ uri: config.dataset.root }), sourceType: 'local', context: 'train' });
    const { train, val, test, split } = data;
    const classes = data.classes;
    run.logMetric('data/skipped', data.skipped.length, 0);
    if (data.skipped.length) await run.logArtifact('data/skipped.json', JSON.stringify(data.skipped, null, 1));
    if (data.anomalies) {
      run.logMetric('data/anomalies', data.anomalies.dropped.length, 0);
      await run.logArtifact('data/anomalies.csv', data.anomalies.toCsv());
      await logAnomalyGallery(run, data, config);
    }

    // model section: backbone, pretrained weights (reported), freezing.
    let modelConfig = config.model;
    if (isRunReference(modelConfig.pretrained)) {
      const r = await resolvePretrainedRun(ctx.tracking, modelConfig.pretrained, modelConfig.backbone, path.join(ctx.projectRoot, '.cache', 'pretrained'));
      log(`cellab: model.pretrained ${modelConfig.pretrained} -> run ${r.runId}`);
      run.setTag('cellab.pretrained_run', r.runId);
      modelConfig = { ...modelConfig, pretrained: r.dir };
    }
    const built = buildModel(modelConfig, { inputShape: train.shape, classes: classes.length, seed: config.train.seed, dataNormalized: !!train.options.normalize, log });
    const net = model = built.model;
    // The architecture in the record: its parameter count (PyTorch's convention: no batch-norm statistics).
    run.logParam('model.params', built.params);
    run.logMetric('model/params', built.params, 0);
    if (built.pretrained) await run.logArtifact('model/pretrained.json', JSON.stringify(built.pretrained, null, 1));
    if (built.imported) {
      const { report, input } = built.imported;
      await run.logArtifact('model/pretrained.json', JSON.stringify(built.imported, null, 1));
      run.logParams({ 'model.input_normalization': input.normalization === 'dataset.normalize' ? 'dataset.normalize'
        : `mean=${input.normalization.mean.map((v) => +v.toFixed(4)).join(',')} std=${input.normalization.std.map((v) => +v.toFixed(4)).join(',')}`, 'model.input_stem': input.stem });
      run.logMetrics({ 'model/pretrained_loaded': report.loaded.length + report.adapted.length, 'model/pretrained_missing': report.missing.length,
        'model/pretrained_unexpected': report.unexpected.length }, 0);
      if (built.imported.id) run.setTag('cellab.pretrained', built.imported.id);
    }
    if (built.freeze) run.logMetrics({ 'model/frozen_params': built.freeze.frozenParams, 'model/trainable_params': built.freeze.trainableParams }, 0);
    if (data.bags) {
      // Patient-level study: its own training and per-bag evaluation (bag-trial.ts).
      const b = await runBagModel({ config, data: { ...data, bags: data.bags }, net, run, projectRoot: ctx.projectRoot, progress: ctx.progress, log });
      run.setTag('cellab.outcome', b.result.outcome);
      if (b.result.reason) run.setTag('cellab.outcome_reason', b.result.reason);
      run.setTag('mlflow.note.content', noteForTrial({ config, data, result: b.result, metrics: b.metrics, evaluation: b.evaluation, params: ctx.params, fold: ctx.fold }));
      sampler?.stop();
      await run.end(b.status);
      return { runId: run.runId, experimentId: run.experimentId, outcome: b.result.outcome, status: b.status, reason: b.result.reason,
        metrics: b.metrics, history: b.result.history, bestEpoch: b.result.bestEpoch, evaluation: b.evaluation, configHash: hash, params, fold: ctx.fold };
    }
    // Label sets with a dense head: the first-label reduction (softmax on each image's first label, class weights from them).
    const firstLabel = data.multiLabel && config.model.head === 'dense';
    if (firstLabel) log("cellab: model.head dense with label sets: training on each image's first label (softmax); evaluated on the label sets");
    const classWeights = config.dataset.classWeights === 'none' ? undefined
      : firstLabel ? computeClassWeights(labelOccurrences(train.targets!, classes.length), classes, config.dataset.classWeights).perClass : data.classWeights.perClass;
    const checkpointDir = config.train.checkpoint ? fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-checkpoint-')) : undefined;
    let result: TrainResult;
    let score: (s: typeof test) => Promise<Float32Array>;
    try {
      if (config.train.method !== 'supervised') {
        // BYOL / SimSiam pretraining, judged by a linear probe (the run's classifier) and k-NN.
        ({ result, score } = await pretrainSelfSupervised({ config, net, data, run, checkpointDir, progress: ctx.progress, log }));
      } else if (config.model.head === 'linear') {
        // Frozen features + linear classifier: training images without augmentation.
        const plainTrain = train.withOptions({ ...train.options, transform: undefined });
        const dataKey = createHash('sha256').update(JSON.stringify([data.digest, config.dataset.image, train.options.normalize ?? null])).digest('hex');
        const lin = await fitLinearHead(net, plainTrain, val, config.train, {
          featureLayer: config.model.featureLayer, cacheDir: path.join(ctx.projectRoot, '.cache', 'features'), dataKey, classWeights, log,
        });
        for (const { epoch, ...metrics } of lin.history) run.logMetrics(metrics, epoch);
        run.logMetrics({ 'linear/best_C': lin.head.C, 'linear/fit_seconds': lin.headSeconds, 'linear/feature_seconds': lin.featureSeconds }, lin.history.length);
        await run.logArtifact('linear_head.json', JSON.stringify({ classifier: lin.head.classifier, C: lin.head.C, selectedOn: lin.head.selectedOn,
          featureLayer: config.model.featureLayer, classes, W: Array.from(lin.head.model.W), b: Array.from(lin.head.model.b),
          mean: Array.from(lin.head.mean), std: Array.from(lin.head.std), path: lin.head.path }));
        result = lin;
        score = lin.scores;
      } else {
        const perEpoch = Math.ceil(train.size / config.train.batchSize);
        const bar = createProgress('train', config.train.epochs * perEpoch, { mode: ctx.progress, unit: 'steps' });
        let lastVal: number | undefined;
        phase('trial: fit start');
        result = await fit(net, firstLabel ? train.withoutTargets() : train, firstLabel ? val.withoutTargets() : val, config.train, {
          onBatchEnd: (b) => bar.update((b.epoch - 1) * perEpoch + b.batch,
            { epoch: `${b.epoch}/${config.train.epochs}`, loss: b.loss, 'val acc': lastVal, 'img/s': b.imagesPerSecond }),
          onEpochEnd: async (row) => {
            phase(`trial: epoch ${row.epoch} end`);
            lastVal = row['val/accuracy'];
            const { epoch, ...metrics } = row;
            run.logMetrics(metrics, epoch);
            const stop = await ctx.pruner?.check(row, run);
            return stop ? { stop } : undefined;
          },
        }, { classWeights, checkpointDir, checkpointMeta: { backbone: config.model.backbone, classes, image: config.dataset.image, normalization: test.options.normalize ?? null },
          unfreezeAfter: config.model.unfreezeAfter, log,
          // Label sets: sigmoid heads start at the training label frequencies (relu/tanh heads at zero, as Keras' Dense); the first-label reduction at its class prior.
          ...(data.multiLabel && !config.model.pretrained && (firstLabel || config.train.headActivation === 'sigmoid')
            ? { headBias: firstLabel ? priorLogits(train.labels, classes.length, 'cross-entropy') : priorLabelOutputs(train.targets!, classes.length, 'sigmoid') } : {}) });
        bar.finish({ epochs: result.history.length, 'best epoch': result.bestEpoch, 'img/s': result.imagesPerSecond });
        const tta = config.train.tta, activation = scoreActivation(config.train.loss, { multiLabel: data.multiLabel && !firstLabel, headActivation: config.train.headActivation });
        score = async (s) => (await predictScores(net, s, { tta, activation })).scores;
        // The selected epoch's weights, usable later as model.pretrained: <this run's folder>.
        if (result.checkpoint && checkpointDir) await run.logArtifactFile(checkpointDir, 'checkpoint');
      }
    } finally {
      if (checkpointDir) fs.rmSync(checkpointDir, { recursive: true, force: true });
    }
    run.logMetric('train/best_epoch', result.bestEpoch, result.history.length);
    // What sweeps pick the best configuration by (validation, never test).
    const bestRow = result.history.find((h) => h.epoch === result.bestEpoch);
    if (bestRow?.['val/accuracy'] !== undefined) run.logMetric('val/best_accuracy', bestRow['val/accuracy'], result.history.length);
    if (bestRow?.['val/loss'] !== undefined) run.logMetric('val/best_loss', bestRow['val/loss'], result.history.length);

    let metrics: Record<string, number> = {};
    let evaluation: ClassificationEvaluation | undefined;
    let multiLabel: MultiLabelEvaluation | undefined;
    // Pruned by a search: a KILLED run, not evaluated on the reported split.
    const outcome: Outcome = result.stopReason ? 'pruned' : result.outcome;
    const reason = result.stopReason ?? result.reason;
    if (outcome === 'pruned') {
      status = 'KILLED';
      log(`cellab: trial pruned: ${reason}`);
      run.setTag('cellab.pruned_epoch', String(result.history.length));
    } else if (data.multiLabel) {
      // Evaluated even when it diverged (finite weights): the study's tables report what such heads predict.
      const onVal = config.eval.split === 'val';
      const ml = await evaluateMultiLabelTrial(config, { run, classes, val, target: onVal ? val : test, valItems: split.val, targetItems: onVal ? split.val : split.test,
        score, images: data.images, log, title: config.eval.split });
      if (ml) {
        metrics = ml.metrics;
        multiLabel = ml.evaluation;
        for (const [k, v] of Object.entries(metrics)) run.logMetric(`${config.eval.split}/${k}`, v, result.history.length);
      }
      if (result.history.length) await run.logArtifact('plots/training_curves.svg', await renderSvg(trainingCurvesSpec(result.history)));
      if (result.outcome === 'completed') status = 'FINISHED';
      else log(`cellab: trial diverged: ${result.reason}${ml ? ' (its predictions are evaluated and logged all the same)' : ''}`);
    } else if (result.outcome === 'completed') {
      const onVal = config.eval.split === 'val';
      const target = onVal ? val : test;
      const targetItems = onVal ? split.val : split.test;
      phase('trial: evaluating');
      const scores = await score(target);
      phase('trial: scored');
      const rows = Array.from({ length: target.size }, (_, i) => Array.from(scores.subarray(i * classes.length, (i + 1) * classes.length)));
      // One operating point for every number and plot of the run: the threshold chosen on validation, else argmax.
      const decision = await decisionThreshold(config, { val, classes, run, score, log });
      evaluation = evaluateClassification({ labels: Array.from(target.labels), scores: rows, classNames: classes, positive: decision?.positive, threshold: decision?.threshold });
      metrics = { ...evaluation.metrics, ...(decision ? { threshold: decision.threshold } : {}) };
      const epoch = result.history.length;
      metrics = { ...metrics, ...(await embeddingEval(config, net, { val, target, classes, run, seed: config.train.seed })) };
      for (const [k, v] of Object.entries(metrics)) run.logMetric(`${config.eval.split}/${k}`, v, epoch);
      await run.logArtifact('predictions.csv', predictionsCsv(targetItems, target.ids, scores, classes));
      phase('trial: predictions logged');
      await logPlots(run, evaluation, result.history, config.eval.split, decision !== undefined);
      phase('trial: plots logged');
      status = 'FINISHED';
    } else {
      log(`cellab: trial ${result.outcome}: ${result.reason}`);
      if (result.history.length) await logSvgAndPng(run, 'plots/training_curves', await renderSvg(trainingCurvesSpec(result.history)), 'Training curves');
    }
    run.setTag('cellab.outcome', outcome);
    if (reason) run.setTag('cellab.outcome_reason', reason);
    run.setTag('mlflow.note.content', noteForTrial({ config, data, result, outcome, reason, metrics, evaluation, params: ctx.params, fold: ctx.fold }));
    sampler?.stop();
    await run.end(status);
    phase('trial: run ended');
    return { runId: run.runId, experimentId: run.experimentId, outcome, status, reason,
      metrics, history: result.history, bestEpoch: result.bestEpoch, evaluation, multiLabel, configHash: hash, params, fold: ctx.fold };
  } catch (err) {
    sampler?.stop();
    run.setTag('cellab.outcome', 'error');
    run.setTag('cellab.outcome_reason', String((err as Error).message ?? err).slice(0, 4000));
    await run.end('FAILED');
    throw err;
  } finally {
    model?.dispose();
    data.close();
  }
}
