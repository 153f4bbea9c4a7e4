// Frozen features + a linear classifier (the intensity study's baseline):
// standardise with the training split's statistics, fit logistic regression
// or a linear SVM for every C of a log grid (10^-6 .. 10^2.5, 20 values,
// warm-started along the path), keep the C with the best validation accuracy
// (ties: lower validation log loss, then the smaller C). Without a
// validation split, C is chosen by 3-fold cross-validation on training.
import { Random, seedFrom } from '../engine/random';
import type { FeatureSet } from './features';
import { decisionFunction, fitLinear, softmaxRows, type LinearKind, type LinearModel, type LinearData } from './linear-classifier';

/** 20 log-spaced values from 1e-6 to 10^2.5. */
export const DEFAULT_C_GRID: number[] = Array.from({ length: 20 }, (_, i) => 10 ** (-6 + (8.5 * i) / 19));

export interface LinearHeadOptions {
  classifier: LinearKind;
  /** One C, a list, or null/undefined for DEFAULT_C_GRID. */
  C?: number | number[] | null;
  maxIter?: number;
  standardize?: boolean;
  classWeights?: number[];
  seed?: number;
}

export interface CResult {
  C: number;
  trainAccuracy: number;
  trainLoss: number;
  valAccuracy: number;
  valLoss: number;
  iterations: number;
}

export interface LinearHead {
  classifier: LinearKind;
  C: number;
  model: LinearModel;
  mean: Float64Array;
  std: Float64Array;
  /** One entry per C tried, in grid order. */
  path: CResult[];
  bestIndex: number;
  /** How C was chosen. */
  selectedOn: 'val' | 'cv3' | 'single';
  seconds: number;
}

function toData(f: FeatureSet, mean: Float64Array, std: Float64Array, k: number, rows?: number[]): LinearData {
  const idx = rows ?? Array.from({ length: f.n }, (_, i) => i);
  const d = f.dim, x = new Float64Array(idx.length * d), y = new Int32Array(idx.length);
  idx.forEach((r, i) => {
    for (let j = 0; j < d; j++) x[i * d + j] = (f.features[r * d + j] - mean[j]) / std[j];
    y[i] = f.labels[r];
  });
  return { x, n: idx.length, d, y, k };
}

/** Class scores [n, k]: softmax of the decision values (probabilities for logistic; for the SVM, uncalibrated). */
export function linearScores(head: Pick<LinearHead, 'model' | 'mean' | 'std'>, f: FeatureSet): Float32Array {
  const data = toData(f, head.mean, head.std, head.model.k);
  return Float32Array.from(softmaxRows(decisionFunction(head.model, data.x, data.n), head.model.k));
}

function score(m: LinearModel, data: LinearData): { accuracy: number; loss: number } {
  const p = softmaxRows(decisionFunction(m, data.x, data.n), data.k);
  let correct = 0, loss = 0;
  for (let i = 0; i < data.n; i++) {
    const o = i * data.k;
    let best = 0;
    for (let c = 1; c < data.k; c++) if (p[o + c] > p[o + best]) best = c;
    if (best === data.y[i]) correct++;
    loss -= Math.log(Math.max(1e-15, p[o + data.y[i]]));
  }
  return { accuracy: correct / Math.max(1, data.n), loss: loss / Math.max(1, data.n) };
}

function better(a: CResult, b: CResult | undefined): boolean {
  if (!b) return true;
  if (a.valAccuracy !== b.valAccuracy) return a.valAccuracy > b.valAccuracy;
  return a.valLoss < b.valLoss - 1e-12;
}

function fitPath(kind: LinearKind, train: LinearData, grid: number[], o: LinearHeadOptions): LinearModel[] {
  const models: LinearModel[] = [];
  let prev: LinearModel | undefined;
  for (const C of grid) {
    prev = fitLinear(kind, train, { C, maxIter: o.maxIter, classWeights: o.classWeights, init: prev });
    models.push(prev);
  }
  return models;
}

export function trainLinearHead(train: FeatureSet, val: FeatureSet | undefined, k: number, o: LinearHeadOptions): LinearHead {
  const t0 = Date.now();
  if (train.n === 0) throw new Error('linear head: the training split is empty');
  const d = train.dim;
  const mean = new Float64Array(d), std = new Float64Array(d).fill(1);
  if (o.standardize ?? true) {
    for (let i = 0; i < train.n; i++) for (let j = 0; j < d; j++) mean[j] += train.features[i * d + j] / train.n;
    for (let j = 0; j < d; j++) {
      let v = 0;
      for (let i = 0; i < train.n; i++) v += (train.features[i * d + j] - mean[j]) ** 2;
      // Constant features (dead units) keep scale 1 instead of dividing by 0.
      std[j] = Math.sqrt(v / train.n) || 1;
    }
  }
  const grid = o.C == null ? DEFAULT_C_GRID : Array.isArray(o.C) ? [...o.C].sort((a, b) => a - b) : [o.C];
  const trainData = toData(train, mean, std, k);
  const models = fitPath(o.classifier, trainData, grid, o);
  const results: CResult[] = models.map((m) => {
    const tr = score(m, trainData);
    return { C: m.C, trainAccuracy: tr.accuracy, trainLoss: tr.loss, valAccuracy: NaN, valLoss: NaN, iterations: m.iterations };
  });
  let selectedOn: LinearHead['selectedOn'] = 'single';
  if (grid.length > 1 && val && val.n > 0) {
    selectedOn = 'val';
    const valData = toData(val, mean, std, k);
    models.forEach((m, i) => { const v = score(m, valData); results[i].valAccuracy = v.accuracy; results[i].valLoss = v.loss; });
  } else if (grid.length > 1) {
    selectedOn = 'cv3';
    const order = new Random(seedFrom(o.seed ?? 0, 'linear-cv')).shuffle(Array.from({ length: train.n }, (_, i) => i));
    const folds = [0, 1, 2].map((f) => order.filter((_, i) => i % 3 === f));
    const acc = new Float64Array(grid.length), loss = new Float64Array(grid.length);
    for (const held of folds) {
      const rest = order.filter((r) => !held.includes(r));
      const fm = fitPath(o.classifier, toData(train, mean, std, k, rest), grid, o);
      const hd = toData(train, mean, std, k, held);
      fm.forEach((m, i) => { const s = score(m, hd); acc[i] += s.accuracy / 3; loss[i] += s.loss / 3; });
    }
    results.forEach((r, i) => { r.valAccuracy = acc[i]; r.valLoss = loss[i]; });
  } else if (val && val.n > 0) {
    const v = score(models[0], toData(val, mean, std, k));
    results[0].valAccuracy = v.accuracy; results[0].valLoss = v.loss;
  }
  let bestIndex = 0;
  if (grid.length > 1) results.forEach((r, i) => { if (better(r, results[bestIndex]) && i !== bestIndex) bestIndex = i; });
  return { classifier: o.classifier, C: grid[bestIndex], model: models[bestIndex], mean, std, path: results, bestIndex, selectedOn, seconds: (Date.now() - t0) / 1000 };
}
