// One trial of a patient-level study (dataset.bags + model.head: mil): split
// by bag, every image embedded once by the frozen backbone (cached on disk),
// the bag model trained on those features with the bags' metadata, evaluated
// per patient. trial.ts calls in here at three points (split, data, run).
// Artifacts: predictions.csv (one row per bag, the shared format),
// patients.csv (bag, label, score, gate weight pi, each expert's score),
// attention.csv (how much each image counted), mil_head.json, plots.
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { ConfigError, didYouMean } from '../engine/schema';
import { BadInputCollector } from '../data/bad-input';
import { formatCsv, type CsvValue } from '../data/csv';
import { groupBags, metadataColumns, regroup, splitBags, bagItems, type Bag, type BagSplit } from '../data/bags';
import { fitMetadata, fitNumericTarget, type MetadataEncoder } from '../data/metadata';
import { computeClassWeights } from '../data/class-weights';
import { PreparedBatchSource } from '../data/batches';
import type { LoadedDataset } from '../data/load';
import type { DatasetSplit } from '../data/types';
import { MilModel, type MilExperts } from '../models/mil';
import { listAggregations } from '../models/aggregation';
import { cachedFeatures, fitBags, type BagSet, type BagPredictions, type BagTrainResult } from '../train/index';
import { evaluateClassification, type ClassificationEvaluation } from '../eval/index';
import { confusionMatrixSpec, gateSpec, renderSvg, rocSpec, trainingCurvesSpec } from '../plots/index';
import type { RunLogger } from '../tracking/index';
import type { ExperimentConfig } from './schema';
import { createProgress, type ProgressMode } from './progress';
import { chooseThreshold } from './extra-eval';
import { logSvgAndPng } from './trial-extras';

export const EXPERTS: Record<ExperimentConfig['model']['metadata'], MilExperts> = { none: 'image', only: 'metadata', moe: 'moe' };

/** Cross-section rules of patient-level studies (dataset x model x train): bad config, nothing runs. */
export function checkBagConfig(config: ExperimentConfig): void {
  const { dataset, model, train } = config;
  const problems: string[] = [];
  const mil = model.head === 'mil';
  if (mil && !dataset.bags) problems.push('model.head mil learns from bags of images: set dataset.bags to the column naming each image\'s patient (e.g. ID, or group)');
  if (!mil && dataset.bags) problems.push(`dataset.bags is set but model.head is ${model.head}: bags need model.head: mil (or remove dataset.bags to classify single images)`);
  if (!mil && model.metadata !== 'none') problems.push(`model.metadata ${model.metadata} applies to model.head: mil`);
  if (mil && model.metadata !== 'none' && dataset.metadata.length === 0) problems.push(`model.metadata ${model.metadata} needs clinical columns: set dataset.metadata (e.g. [AGE, LYMPH_COUNT])`);
  dataset.metadata.forEach((m, i) => { if (typeof m !== 'string' && !m.column) problems.push(`dataset.metadata[${i}] needs a column name: {column: NAME, type: ...}`); });
  if (mil && model.mil.auxiliary && !model.mil.auxiliary.column) problems.push('model.mil.auxiliary needs a column: {column: LYMPH_COUNT, weight: 0.5}');
  const aggregations = listAggregations().map((a) => a.name);
  if (mil && !aggregations.includes(model.mil.aggregation)) {
    problems.push(`model.mil.aggregation '${model.mil.aggregation}' is not registered.${didYouMean(model.mil.aggregation, aggregations)} Available: ${aggregations.join(', ')}`);
  }
  // The frozen backbone embeds each image once: nothing varies per epoch or per view.
  if (mil && dataset.augment) problems.push('dataset.augment has no effect with model.head mil (every image is embedded once by the frozen backbone): remove dataset.augment');
  if (mil && train.tta !== 'none') problems.push(`train.tta ${train.tta} has no effect with model.head mil (frozen features, one view per image): set train.tta: none`);
  if (mil && config.eval.embeddings) problems.push('eval.embeddings evaluates single images; with model.head mil set eval.embeddings: false');
  if (mil && train.loss !== 'bce') problems.push(`model.head mil trains a binary bag classifier with (weighted) binary cross-entropy: set train.loss: bce (it is ${train.loss})`);
  if (problems.length) throw new ConfigError(problems);
}

const extraColumns = (config: ExperimentConfig) => (config.model.head === 'mil' && config.model.mil.auxiliary ? [config.model.mil.auxiliary.column] : []);

/** The item split of a bag study: whole bags on each side. Bad bags join `dataset.skipped` (reported with the rest). */
export function splitBagTrial(config: ExperimentConfig, dataset: LoadedDataset, fold?: number): DatasetSplit {
  const bad = new BadInputCollector();
  const bags = groupBags(dataset.items, config.dataset, bad, extraColumns(config));
  const split = bagItems(splitBags(bags, config.dataset.split, fold, bad));
  dataset.skipped.push(...bad.problems);
  return split;
}

export interface BagTrialData {
  split: BagSplit;
  classes: string[];
  /** Index in `classes` of the class the model's probability is for. */
  positive: number;
  metadata: MetadataEncoder;
  aux?: { column: string; mean: number; std: number; encode(bags: readonly Bag[]): Float32Array };
  /** Class weights of the loss [negative, positive], from training bags (patients, not images). */
  classWeights: [number, number];
}

/** Bags of the decoded split (a bad image leaves its bag, the bag stays) with the training-split fits. */
export function prepareBagData(config: ExperimentConfig, split: DatasetSplit, classes: string[]): BagTrialData {
  if (classes.length !== 2) throw new ConfigError([`model.head mil is binary (one probability per bag), but the bags have ${classes.length} classes: ${classes.join(', ')}`]);
  const positive = config.eval.positive ? classes.findIndex((c) => c.toLowerCase() === config.eval.positive!.toLowerCase()) : 1;
  if (positive < 0) throw new ConfigError([`eval.positive '${config.eval.positive}' is not a class. Classes: ${classes.join(', ')}`]);
  const bags = regroup(split, config.dataset, extraColumns(config));
  const metadata = fitMetadata(bags.train, config.dataset.metadata);
  const aux = config.model.mil.auxiliary ? { column: config.model.mil.auxiliary.column, ...fitNumericTarget(bags.train, config.model.mil.auxiliary.column) } : undefined;
  const w = computeClassWeights(bags.train.map((b) => b.label), classes, config.dataset.classWeights).perClass;
  return { split: bags, classes, positive, metadata, aux, classWeights: [w[1 - positive], w[positive]] };
}

/** Bag arrays for training: features rows looked up by image id. */
export function bagSet(bags: Bag[], data: BagTrialData, features?: { rows: Map<string, number>; values: Float32Array; dim: number }): BagSet {
  const dim = features?.dim ?? 0;
  const offsets = new Int32Array(bags.length + 1);
  bags.forEach((b, i) => { offsets[i + 1] = offsets[i] + b.items.length; });
  const feats = new Float32Array(offsets[bags.length] * dim);
  if (features) {
    bags.forEach((b, i) => b.items.forEach((it, k) => {
      const r = features.rows.get(it.id);
      if (r === undefined) throw new Error(`no features for image ${it.id} of bag ${b.id}`);
      feats.set(features.values.subarray(r * dim, (r + 1) * dim), (offsets[i] + k) * dim);
    }));
  }
  return {
    ids: bags.map((b) => b.id),
    labels: Int32Array.from(bags, (b) => (b.label === data.classes[data.positive] ? 1 : 0)),
    offsets, features: feats, dim,
    instanceIds: bags.flatMap((b) => b.items.map((it) => it.id)),
    meta: data.metadata.encodeAll(bags), metaDim: data.metadata.names.length,
    ...(data.aux ? { aux: data.aux.encode(bags) } : {}),
  };
}

/** A score for a CSV cell: empty when there is none (e.g. pi without a mixture of experts). */
const num = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? undefined : v);

/** predictions.csv (DESIGN.md conventions) with one row per bag: id = bag, path = its images' folder. */
export function bagPredictionsCsv(bags: Bag[], scores: Float32Array, classes: string[], positive: number): string {
  return formatCsv(['id', 'path', 'label', ...classes], bags.map((b, i) => [b.id, path.dirname(b.items[0].path), b.label,
    ...classes.map((_, c) => (c === positive ? scores[i] : 1 - scores[i]))]));
}

/** patients.csv: the per-patient view (gate weight, each expert's opinion, the decision). */
export function patientsCsv(bags: Bag[], p: BagPredictions, o: { classes: string[]; positive: number; threshold: number; aux?: { mean: number; std: number } }): string {
  return formatCsv(['bag', 'label', 'score', 'pi', 'image_score', 'metadata_score', 'prediction', 'images', ...(p.aux && o.aux ? ['aux_prediction'] : [])],
    bags.map((b, i) => [b.id, b.label, num(p.scores[i]), num(p.pi?.[i]), num(p.yImage?.[i]), num(p.yMeta?.[i]),
      o.classes[p.scores[i] >= o.threshold ? o.positive : 1 - o.positive], b.items.length,
      ...(p.aux && o.aux ? [num(p.aux[i] * o.aux.std + o.aux.mean)] : [])]));
}

/** attention.csv: every image's weight in its bag and its rank there (1 = counted most). */
export function attentionCsv(bags: Bag[], set: BagSet, weights: Float32Array): string {
  const rows: CsvValue[][] = [];
  bags.forEach((b, i) => {
    const start = set.offsets[i];
    const order = b.items.map((_, k) => k).sort((x, y) => weights[start + y] - weights[start + x]);
    const rank = new Map(order.map((k, r) => [k, r + 1]));
    b.items.forEach((it, k) => rows.push([b.id, it.id, it.path, num(weights[start + k]), rank.get(k)!]));
  });
  return formatCsv(['bag', 'image', 'path', 'weight', 'rank'], rows);
}

export interface BagRunResult {
  result: BagTrainResult;
  metrics: Record<string, number>;
  evaluation?: ClassificationEvaluation;
  status: 'FINISHED' | 'FAILED';
}

/** Train and evaluate the bag model of one trial, logging to `run`. */
export async function runBagModel(o: {
  config: ExperimentConfig;
  data: { bags: BagTrialData; dataset: LoadedDataset; train: PreparedBatchSource; val: PreparedBatchSource; test: PreparedBatchSource; digest: string };
  net: tf.LayersModel; run: RunLogger; projectRoot: string; progress?: ProgressMode; log: (line: string) => void;
}): Promise<BagRunResult> {
  const { config, data, run, log } = o;
  const bags = data.bags;
  const experts = EXPERTS[config.model.metadata];
  if (data.dataset.unlabelled) {
    run.logMetric('data/unlabelled_bags', data.dataset.unlabelled, 0);
    log(`cellab: ${data.dataset.unlabelled} patient(s) without a label (LABEL -1, the challenge's test set) left out`);
  }
  if (config.model.mil.auxiliary && experts === 'metadata') log('cellab: model.mil.auxiliary is ignored by the metadata expert alone (it regresses from image features)');
  let features: { rows: Map<string, number>; values: Float32Array; dim: number; mean: Float64Array; std: Float64Array } | undefined;
  if (experts !== 'metadata') {
    // Every image of every bag in one source, sorted by id: the same cache entry serves every fold and configuration.
    const all = [data.train, data.val, data.test].flatMap((s) => s.ids.map((id, i) => ({ id, index: s.indices[i] })));
    all.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const source = new PreparedBatchSource(data.train.store, all.map((a) => a.index), new Int32Array(all.length), all.map((a) => a.id), 1,
      { normalize: data.val.options.normalize });
    const dataKey = createHash('sha256').update(JSON.stringify([data.digest, config.dataset.image, data.val.options.normalize ?? null])).digest('hex');
    const bar = createProgress('features', source.size, { mode: o.progress, unit: 'images' });
    const t0 = Date.now();
    const f = await cachedFeatures(o.net, source, { layer: config.model.featureLayer, cacheDir: path.join(o.projectRoot, '.cache', 'features'), dataKey, onProgress: (d) => bar.update(d) });
    bar.finish({ images: f.n, cached: f.fromCache ? 'yes' : 'no' });
    run.logMetrics({ 'mil/feature_seconds': (Date.now() - t0) / 1000, 'mil/features_cached': f.fromCache ? 1 : 0 }, 0);
    const rows = new Map(f.ids.map((id, i) => [id, i]));
    features = { rows, ...standardise(f.features, f.dim, bags.split.train.flatMap((b) => b.items.map((it) => rows.get(it.id)!))) };
  }
  const sets = { train: bagSet(bags.split.train, bags, features), val: bagSet(bags.split.val, bags, features), test: bagSet(bags.split.test, bags, features) };
  run.logMetrics({ 'data/train_bags': sets.train.ids.length, 'data/val_bags': sets.val.ids.length, 'data/test_bags': sets.test.ids.length }, 0);
  const m = config.model.mil;
  const model = new MilModel({
    featureDim: features?.dim ?? 0, metaDim: bags.metadata.names.length, experts, aggregation: m.aggregation, hidden: m.hidden,
    attentionDim: m.attentionDim, metadataHidden: m.metadataHidden, dropout: m.dropout, auxiliary: !!m.auxiliary && experts !== 'metadata', seed: config.train.seed,
  });
  try {
    const steps = Math.ceil(sets.train.ids.length / config.train.batchSize);
    const bar = createProgress('train', config.train.epochs * steps, { mode: o.progress, unit: 'steps' });
    let lastVal: number | undefined;
    const result = await fitBags(model, sets.train, sets.val, config.train, {
      onBatchEnd: (b) => bar.update((b.epoch - 1) * steps + b.batch, { epoch: `${b.epoch}/${config.train.epochs}`, loss: b.loss, 'val bal acc': lastVal }),
      onEpochEnd: (row) => {
        lastVal = row['val/balanced_accuracy'];
        const { epoch, ...metrics } = row;
        run.logMetrics(Object.fromEntries(Object.entries(metrics).filter(([, v]) => Number.isFinite(v))), epoch);
      },
    }, { classWeights: config.dataset.classWeights !== 'none' ? bags.classWeights : undefined, auxWeight: m.auxiliary ? m.auxiliary.weight : 0, log });
    bar.finish({ epochs: result.history.length, 'best epoch': result.bestEpoch, seconds: result.seconds });
    run.logMetric('train/best_epoch', result.bestEpoch, result.history.length);
    const bestRow = result.history.find((h) => h.epoch === result.bestEpoch);
    if (bestRow?.['val/accuracy'] !== undefined) run.logMetric('val/best_accuracy', bestRow['val/accuracy'], result.history.length);
    if (bestRow?.['val/loss'] !== undefined) run.logMetric('val/best_loss', bestRow['val/loss'], result.history.length);
    await run.logArtifact('mil_head.json', JSON.stringify({ ...(await model.serialize()), featureMean: features ? Array.from(features.mean) : undefined, featureStd: features ? Array.from(features.std) : undefined, classes: bags.classes, positive: bags.classes[bags.positive],
      metadata: { names: bags.metadata.names, columns: bags.metadata.columns }, featureLayer: config.model.featureLayer, backbone: config.model.backbone }));
    if (result.outcome !== 'completed') {
      log(`cellab: trial diverged: ${result.reason}`);
      if (result.history.length) await logSvgAndPng(run, 'plots/training_curves', await renderSvg(trainingCurvesSpec(result.history)), 'Training curves');
      return { result, metrics: {}, status: 'FAILED' };
    }
    const split = config.eval.split;
    const target = split === 'val' ? sets.val : sets.test, targetBags = split === 'val' ? bags.split.val : bags.split.test;
    if (target.ids.length === 0) throw new Error(`the ${split} split has no bags to evaluate`);
    const p = await result.predict(target);
    const threshold = await decision(config, bags, sets.val, result, run, log);
    const pos = bags.positive;
    const rows = Array.from(p.scores, (s) => (pos === 1 ? [1 - s, s] : [s, 1 - s]));
    const labels = targetBags.map((b) => bags.classes.indexOf(b.label));
    const evaluation = evaluateClassification({ labels, scores: rows, classNames: bags.classes, positive: pos, threshold });
    const metrics: Record<string, number> = { ...evaluation.metrics, ...(threshold !== undefined ? { threshold } : {}) };
    if (p.pi) metrics.mean_gate = p.pi.reduce((s, v) => s + v, 0) / p.pi.length;
    for (const [k, v] of Object.entries(metrics)) run.logMetric(`${split}/${k}`, v, result.history.length);
    await run.logArtifact('predictions.csv', bagPredictionsCsv(targetBags, p.scores, bags.classes, pos));
    await run.logArtifact('patients.csv', patientsCsv(targetBags, p, { classes: bags.classes, positive: pos, threshold: threshold ?? 0.5, aux: bags.aux }));
    if (p.weights) await run.logArtifact('attention.csv', attentionCsv(targetBags, target, p.weights));
    const decided = threshold !== undefined ? ', at the threshold chosen on validation' : '';
    const cm = confusionMatrixSpec({ matrix: evaluation.confusionMatrix, classNames: evaluation.classNames, title: `Confusion matrix (${split}, patients${decided})` });
    await logSvgAndPng(run, 'plots/confusion_matrix', await renderSvg(cm), 'Confusion matrix');
    await run.logArtifact('plots/confusion_matrix.vl.json', JSON.stringify(cm, null, 1));
    if (evaluation.roc.some((r) => Number.isFinite(r.auc))) await logSvgAndPng(run, 'plots/roc', await renderSvg(rocSpec({ roc: evaluation.roc, title: `ROC (${split}, patients)` })), 'ROC');
    if (result.history.length) await logSvgAndPng(run, 'plots/training_curves', await renderSvg(trainingCurvesSpec(result.history)), 'Training curves');
    if (p.pi) {
      const t = threshold ?? 0.5;
      const gate = gateSpec(targetBags.map((b, i) => ({ bag: b.id, label: b.label, pi: p.pi![i], score: p.scores[i], yImage: p.yImage?.[i], yMeta: p.yMeta?.[i],
        correct: (p.scores[i] >= t ? pos : 1 - pos) === labels[i] })), { title: `Gate weight per patient (${split})`, classNames: bags.classes });
      await logSvgAndPng(run, 'plots/gate', await renderSvg(gate), 'Gate weight per patient');
      await run.logArtifact('plots/gate.vl.json', JSON.stringify(gate));
    }
    return { result, metrics, evaluation, status: 'FINISHED' };
  } finally {
    model.dispose();
  }
}

/**
 * Features scaled with the training images' per-dimension mean and std (as the linear head does):
 * a frozen network's pooled activations are small and uneven, which stalls the head's training.
 */
export function standardise(values: Float32Array, dim: number, trainRows: number[]): { values: Float32Array; dim: number; mean: Float64Array; std: Float64Array } {
  const mean = new Float64Array(dim), std = new Float64Array(dim);
  for (const r of trainRows) for (let j = 0; j < dim; j++) mean[j] += values[r * dim + j] / trainRows.length;
  for (const r of trainRows) for (let j = 0; j < dim; j++) std[j] += (values[r * dim + j] - mean[j]) ** 2 / trainRows.length;
  for (let j = 0; j < dim; j++) std[j] = Math.sqrt(std[j]) || 1;
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = (values[i] - mean[i % dim]) / std[i % dim];
  return { values: out, dim, mean, std };
}

/** eval.threshold on the validation bags (as trial.ts does for images); undefined: 0.5 (argmax). */
async function decision(config: ExperimentConfig, bags: BagTrialData, val: BagSet, result: BagTrainResult, run: RunLogger, log: (l: string) => void): Promise<number | undefined> {
  if (!config.eval.threshold) return undefined;
  if (new Set(val.labels).size < 2) {
    const why = `eval.threshold skipped: the validation split has only one class (${val.ids.length} bags); raise dataset.split.valFraction. Metrics use 0.5`;
    run.setTag('cellab.threshold_skipped', why);
    log(`cellab: ${why}`);
    return undefined;
  }
  const scores = (await result.predict(val)).scores;
  const pairs = Float32Array.from({ length: scores.length * 2 }, (_, j) => (j % 2 ? scores[j >> 1] : 1 - scores[j >> 1]));
  const chosen = chooseThreshold({ metric: config.eval.threshold, positive: 1, numClasses: 2, valScores: pairs, valLabels: val.labels });
  run.setTag('cellab.threshold_positive', bags.classes[bags.positive]);
  run.setTag('cellab.decision', `${bags.classes[bags.positive]} when its score >= ${chosen.threshold} (maximises ${config.eval.threshold} on validation patients: ${chosen.value.toFixed(4)})`);
  return chosen.threshold;
}

