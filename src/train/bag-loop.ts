// The bag training loop (model.head: mil): minibatches of whole bags (padded
// + masked), class-weighted binary cross-entropy on the bag's probability
// (weights per bag label: the study's weighted BCE), plus the auxiliary
// head's normalised MSE times its weight. Same optimisers, schedules,
// clipping, early stopping and best-epoch rules as fit(); reports through
// callbacks. Epoch rows add balanced accuracy, the metric the study reports.
import * as tf from '@tensorflow/tfjs';
import { Random, seedFrom } from '../engine/random';
import { ReadQueue, type Read } from '../engine/reads';
import type { MilModel } from '../models/mil';
import type { TrainConfig } from './schema';
import type { EpochRow } from './history';
import type { TrainCallbacks, TrainResult, TrainOutcome } from './loop';
import { createOptimizer } from './optimizers';
import { createSchedule } from './schedules';
import { clipGradients } from './clip';
import { EarlyStopping } from './early-stopping';
import { isBetterEpoch } from './best-epoch';
import { checkMonitor } from './monitor';
import { bagBatch, bagCount, checkBagSet, disposeBatch, type BagBatch, type BagSet } from './bags';

export interface BagFitOptions {
  /** Weight of each class [negative, positive] (e.g. inverse frequency of bag labels). */
  classWeights?: [number, number];
  /** Weight of the auxiliary head's normalised MSE in the loss. */
  auxWeight?: number;
  log?: (line: string) => void;
}

export interface BagPredictions {
  /** P(positive) per bag. */
  scores: Float32Array;
  yImage?: Float32Array;
  yMeta?: Float32Array;
  /** Gate weight of the image expert per bag (mixture of experts). */
  pi?: Float32Array;
  /** Auxiliary regression per bag (standardised units). */
  aux?: Float32Array;
  /** How much each image counted, aligned with the set's image rows (sums to 1 per bag). */
  weights?: Float32Array;
}

export interface BagTrainResult extends TrainResult {
  /** Predictions of any bag set with the weights the run ended with. */
  predict(set: BagSet): Promise<BagPredictions>;
}

const EPS = 1e-6;
const EXTRA_METRICS = ['balanced_accuracy'];

/** Mean per-class recall of 0/1 labels at threshold 0.5 (NaN without both classes). */
export function balancedAccuracy(labels: ArrayLike<number>, scores: ArrayLike<number>, threshold = 0.5): number {
  const hit = [0, 0], n = [0, 0];
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] ? 1 : 0;
    n[y]++;
    if ((scores[i] >= threshold ? 1 : 0) === y) hit[y]++;
  }
  return n[0] && n[1] ? (hit[0] / n[0] + hit[1] / n[1]) / 2 : NaN;
}

function weightedBce(y: tf.Tensor1D, p: tf.Tensor1D, w?: [number, number]): tf.Scalar {
  return tf.tidy(() => {
    const q = tf.clipByValue(p, EPS, 1 - EPS);
    const l = tf.neg(tf.add(tf.mul(y, tf.log(q)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, q)))));
    if (!w) return tf.mean(l) as tf.Scalar;
    const wi = tf.add(tf.mul(y, w[1]), tf.mul(tf.sub(1, y), w[0]));
    // A batch of only zero-weight bags contributes nothing (not 0/0 = NaN, which would read as divergence).
    return tf.div(tf.sum(tf.mul(wi, l)), tf.maximum(tf.sum(wi), 1e-12)) as tf.Scalar;
  });
}

function uses(model: MilModel): { images: boolean; meta: boolean } {
  return { images: model.options.experts !== 'metadata', meta: model.options.experts !== 'image' };
}

/**
 * Predictions for every bag of `set`, in batches of `batchSize` bags. A batch's
 * outputs are packed into one tensor and read a batch behind (engine/reads.ts).
 */
export async function predictBags(model: MilModel, set: BagSet, batchSize = 32): Promise<BagPredictions> {
  const n = bagCount(set);
  const o = model.options;
  const out: BagPredictions = { scores: new Float32Array(n) };
  if (o.experts !== 'metadata') { out.yImage = new Float32Array(n); out.weights = new Float32Array(set.offsets[n]); }
  if (o.experts !== 'image') out.yMeta = new Float32Array(n);
  if (o.experts === 'moe') out.pi = new Float32Array(n);
  if (o.auxiliary && o.experts !== 'metadata') out.aux = new Float32Array(n);
  type Meta = { start: number; index: number[]; N: number };
  const reads = new ReadQueue<Meta>(1);
  // The packed layout: scores, yImage, yMeta, pi, aux (B each, those present), then weights (B x N).
  const perBag = (['scores', 'yImage', 'yMeta', 'pi', 'aux'] as const).filter((k) => out[k]);
  const put = (done: Read<Meta>[]) => {
    for (const { values, meta: { start, index, N } } of done) {
      const B = index.length;
      perBag.forEach((k, j) => out[k]!.set(values.subarray(j * B, (j + 1) * B), start));
      if (out.weights) {
        const w = values.subarray(perBag.length * B);
        index.forEach((bag, i) => out.weights!.set(w.subarray(i * N, i * N + set.offsets[bag + 1] - set.offsets[bag]), set.offsets[bag]));
      }
    }
  };
  try {
    for (let start = 0; start < n; start += batchSize) {
      const index = Array.from({ length: Math.min(batchSize, n - start) }, (_, i) => start + i);
      const b = bagBatch(set, index, uses(model));
      const r = model.apply({ x: b.x, mask: b.mask, meta: b.meta });
      const fields: Record<(typeof perBag)[number], tf.Tensor | undefined> = { scores: r.y, yImage: r.yImage, yMeta: r.yMeta, pi: r.pi, aux: r.aux };
      const parts = perBag.map((k) => fields[k]!);
      if (out.weights) parts.push(r.weights!.reshape([-1]));
      const packed = tf.concat(parts.map((t) => t.reshape([-1])));
      const N = r.weights ? r.weights.shape[1] : 0;
      tf.dispose([...Object.values(r), ...parts]);
      disposeBatch(b);
      put(await reads.push(packed, { start, index, N }));
    }
    put(await reads.drain());
  } finally {
    reads.dispose();
  }
  return out;
}

/**
 * Loss and metrics of a whole set. The loss is the training objective's classification part,
 * class-weighted like it: on an imbalanced set an unweighted loss rewards leaning to the
 * majority, and selecting epochs by it works against balanced accuracy.
 */
async function evaluateBags(model: MilModel, set: BagSet, auxWeight: number, w: [number, number] = [1, 1]): Promise<{ loss: number; accuracy: number; balanced: number; auxNmse?: number }> {
  const p = await predictBags(model, set);
  let loss = 0, weights = 0, correct = 0, sq = 0;
  for (let i = 0; i < p.scores.length; i++) {
    const q = Math.min(1 - EPS, Math.max(EPS, p.scores[i])), y = set.labels[i];
    loss -= w[y] * (y ? Math.log(q) : Math.log(1 - q));
    weights += w[y];
    if ((p.scores[i] >= 0.5 ? 1 : 0) === y) correct++;
    if (p.aux && set.aux) sq += (p.aux[i] - set.aux[i]) ** 2;
  }
  const n = Math.max(1, p.scores.length);
  return { loss: loss / Math.max(1e-12, weights), accuracy: correct / n, balanced: balancedAccuracy(set.labels, p.scores), ...(p.aux && set.aux && auxWeight > 0 ? { auxNmse: sq / n } : {}) };
}

export async function fitBags(model: MilModel, train: BagSet, val: BagSet | undefined, cfg: TrainConfig,
  cb: TrainCallbacks = {}, options: BagFitOptions = {}): Promise<BagTrainResult> {
  checkBagSet(train, 'training bags');
  if (val) checkBagSet(val, 'validation bags');
  const n = bagCount(train);
  if (n === 0) throw new Error('there are no training bags: nothing to train on');
  const hasVal = !!val && bagCount(val) > 0;
  const es = cfg.earlyStopping ? new EarlyStopping(cfg.earlyStopping) : undefined;
  if (es) checkMonitor(es.cfg.monitor, 'train.earlyStopping.monitor', hasVal, EXTRA_METRICS);
  if (cfg.schedule?.kind === 'plateau') checkMonitor(cfg.schedule.monitor, 'train.schedule.monitor', hasVal, EXTRA_METRICS);
  const selection = es?.cfg.restoreBest ? 'monitor' : cfg.restoreBest && hasVal ? 'val' : 'last';
  const auxWeight = model.options.auxiliary ? options.auxWeight ?? 0 : 0;
  if (auxWeight > 0 && !train.aux) throw new Error('the auxiliary head needs a target per training bag (model.mil.auxiliary.column)');
  const vars = model.variables;
  const optimizer = createOptimizer({ name: cfg.optimizer ?? 'adam', weightDecay: cfg.weightDecay, momentum: cfg.momentum,
    nesterov: cfg.nesterov, betas: cfg.betas, eps: cfg.eps });
  const stepsPerEpoch = Math.ceil(n / cfg.batchSize);
  const schedule = createSchedule(cfg.schedule ?? { kind: 'constant', warmupEpochs: 0 } as TrainConfig['schedule'], { lr: cfg.lr, epochs: cfg.epochs, stepsPerEpoch });
  const rng = new Random(seedFrom(cfg.seed, 'bag-shuffle'));
  // The divergence baseline: always predicting the training prior, under the same weighted loss.
  const positives = train.labels.reduce((s, y) => s + y, 0);
  const prior = Math.min(1 - EPS, Math.max(EPS, positives / n));
  const [w0, w1] = options.classWeights ?? [1, 1];
  const baseline = -(w1 * positives * Math.log(prior) + w0 * (n - positives) * Math.log(1 - prior)) / (w1 * positives + w0 * (n - positives));
  const history: EpochRow[] = [];
  const t0 = Date.now();
  let step = 0, seen = 0;
  let best: EpochRow | undefined;
  let bestWeights: tf.Tensor[] | undefined;
  let stoppedEpoch: number | undefined;
  let outcome: TrainOutcome = 'completed';
  let reason: string | undefined;
  let lastClassLoss = NaN;
  try {
    for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
      const order = rng.fork('epoch', epoch).shuffle(Array.from({ length: n }, (_, i) => i));
      let lossSum = 0, classSum = 0, lr = cfg.lr, batch = 0;
      const epochStart = Date.now();
      const trainScores = new Float32Array(n), trainLabels = new Int32Array(n);
      // A batch's [loss, class loss, P(positive) per bag] stay on the device
      // and are read one batch later (engine/reads.ts): a non-finite loss is
      // seen one step late, and a diverged run keeps no weights anyway.
      type Meta = { batch: number; start: number; index: number[]; lr: number };
      const reads = new ReadQueue<Meta>(1);
      const take = (done: Read<Meta>[]): boolean => {
        for (const { values, meta: { batch: bi, start, index, lr: blr } } of done) {
          if (outcome !== 'completed') break;
          const l = values[0], classLoss = values[1];
          if (!Number.isFinite(l)) {
            outcome = 'diverged';
            reason = `the training loss became ${l} at epoch ${epoch}, batch ${bi} (learning rate ${blr}; it is probably too high)`;
            break;
          }
          index.forEach((bag, i) => { trainScores[start + i] = values[2 + i]; trainLabels[start + i] = train.labels[bag]; });
          lossSum += l * index.length;
          classSum += classLoss * index.length;
          seen += index.length;
          cb.onBatchEnd?.({ epoch, batch: bi, batches: stepsPerEpoch, loss: lossSum / Math.min(n, start + index.length), lr: blr,
            imagesPerSecond: Math.min(n, start + index.length) / Math.max(1e-3, (Date.now() - epochStart) / 1000) });
        }
        return outcome === 'completed';
      };
      try {
        for (let start = 0; start < n; start += cfg.batchSize) {
          batch++;
          lr = schedule.rate(step++);
          const index = order.slice(start, start + cfg.batchSize);
          const b: BagBatch = bagBatch(train, index, uses(model));
          let stats: tf.Tensor | undefined;
          const { value, grads } = tf.variableGrads(() => {
            const r = model.apply({ x: b.x, mask: b.mask, meta: b.meta }, { training: true, dropoutSeed: seedFrom(cfg.seed, 'dropout', step) });
            const cls = weightedBce(b.y, r.y, options.classWeights);
            const loss = auxWeight > 0 && r.aux && b.aux ? tf.add(cls, tf.mul(auxWeight, tf.mean(tf.square(tf.sub(r.aux, b.aux))))) as tf.Scalar : cls;
            stats = tf.keep(tf.concat([tf.stack([loss, cls]), r.y]));
            return loss;
          }, vars.filter((v) => v.trainable));
          // A non-finite loss makes the update non-finite too, and the run
          // is then diverged and its weights discarded: no need to wait for
          // the loss before stepping.
          const clipped = clipGradients(grads, { norm: cfg.clipGradNorm, value: cfg.clipGradValue });
          optimizer.step(vars.filter((v) => grads[v.name] !== undefined), clipped, lr);
          if (clipped !== grads) tf.dispose(Object.values(clipped));
          tf.dispose([value, ...Object.values(grads)]);
          disposeBatch(b);
          if (!take(await reads.push(stats!, { batch, start, index, lr }))) break;
          // Let the event loop run between steps: a Ctrl-C (or SIGTERM) is handled now, not at the epoch's end.
          await new Promise((resolve) => setImmediate(resolve));
        }
        if (outcome === 'completed') take(await reads.drain());
      } finally {
        reads.dispose();
      }
      if (outcome !== 'completed') break;
      lastClassLoss = classSum / n;
      let correct = 0;
      trainScores.forEach((p, i) => { if ((p >= 0.5 ? 1 : 0) === trainLabels[i]) correct++; });
      const row: EpochRow = { epoch, 'train/loss': lossSum / n, 'train/accuracy': correct / n, 'train/balanced_accuracy': balancedAccuracy(trainLabels, trainScores), lr,
        bags_per_second: n / Math.max(1e-3, (Date.now() - epochStart) / 1000) };
      if (hasVal) {
        const v = await evaluateBags(model, val!, auxWeight, options.classWeights);
        row['val/loss'] = v.loss;
        row['val/accuracy'] = v.accuracy;
        row['val/balanced_accuracy'] = v.balanced;
        if (v.auxNmse !== undefined) row['val/aux_nmse'] = v.auxNmse;
      }
      schedule.onEpochEnd(row);
      const esImproved = es ? es.improves(row) : false;
      const improved = selection === 'monitor' ? esImproved : selection === 'val' ? isBetterEpoch(row, best) : true;
      if (improved) {
        best = row;
        if (selection !== 'last') {
          tf.dispose(bestWeights ?? []);
          bestWeights = model.getWeights();
        }
      }
      history.push(row);
      await cb.onEpochEnd?.(row);
      if (es?.shouldStop(row)) {
        stoppedEpoch = epoch;
        options.log?.(`cellab: early stopping after epoch ${epoch}: \`${es.cfg.monitor}\` has not improved for ${es.wait} epoch(s) (best ${es.best.toPrecision(4)} at epoch ${es.bestEpoch})`);
        break;
      }
    }
    if (outcome === 'completed' && history.length && !(lastClassLoss < baseline)) {
      outcome = 'diverged';
      reason = `the final training loss ${lastClassLoss.toFixed(4)} is no better than always predicting the training class prior (${baseline.toFixed(4)}); the learning rate ${cfg.lr} is probably too high`;
    }
    let bestEpoch = history.length;
    if (outcome === 'completed' && bestWeights && best) {
      model.setWeights(bestWeights);
      bestEpoch = best.epoch;
    }
    const seconds = (Date.now() - t0) / 1000;
    return { history, outcome, reason, bestEpoch, stoppedEpoch, imagesPerSecond: seen / Math.max(1e-3, seconds), seconds,
      predict: (set) => predictBags(model, set) };
  } finally {
    tf.dispose(bestWeights ?? []);
    optimizer.dispose();
  }
}
