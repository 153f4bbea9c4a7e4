// The training loop. It reports through callbacks (progress, per-epoch rows
// that the experiment layer hands to tracking) and never imports tracking.
// One step: forward in training mode, loss, gradients of the trainable
// weights, clipping, optimiser update at the scheduled learning rate.
import * as tf from '@tensorflow/tfjs';
import { explainHeapError } from '../engine/heap-error';
import { accumulatedGrads } from './micro-batch';
import type { BatchSource } from '../data/batches';
import { Random, seedFrom } from '../engine/random';
import { ReadQueue, type Read } from '../engine/reads';
import { unfreezeAll, layerStage } from '../models/freeze';
import { saveCheckpoint, type CheckpointMeta } from '../models/checkpoint';
import type { TrainConfig } from './schema';
import type { EpochRow } from './history';
import { priorLabelOutputs, priorLogits } from './losses';
import { trainingObjective } from './objective';
import { createSchedule } from './schedules';
import { clipGradients } from './clip';
import { EarlyStopping } from './early-stopping';
import { isBetterEpoch } from './best-epoch';
import { checkMonitor } from './monitor';
import { evaluateLoss, multiLabelCounts } from './predict';

export type { EpochRow } from './history';

export interface BatchInfo {
  epoch: number;
  batch: number;
  batches: number;
  loss: number;
  lr: number;
  imagesPerSecond: number;
}

/** What an epoch callback may return: `{stop: reason}` ends training after this epoch (e.g. a search pruning the trial). */
export interface EpochVerdict {
  stop?: string;
}

export interface TrainCallbacks {
  onBatchEnd?(info: BatchInfo): void;
  onEpochEnd?(row: EpochRow): void | EpochVerdict | Promise<void | EpochVerdict>;
}

export interface FitOptions {
  /** One weight per class for the loss (e.g. data's computeClassWeights); multi-label: the positive weight of each label. */
  classWeights?: number[];
  /** Save the selected epoch's model here (model.json + weights.bin) whenever it improves. */
  checkpointDir?: string;
  checkpointMeta?: CheckpointMeta;
  /** Make every layer trainable after this many epochs (model.unfreezeAfter). */
  unfreezeAfter?: number | null;
  /**
   * Start the `logits` layer's bias here (one value per output), e.g. the label prior's logits:
   * a head starting at the label frequencies (RetinaNet's prior init) need not spend its first
   * hundreds of steps moving rare labels' biases from 0 to -3.
   */
  headBias?: ArrayLike<number>;
  log?: (line: string) => void;
}

/** collapsed: self-supervised embeddings with ~0 spread (train/ssl/fit.ts). */
export type TrainOutcome = 'completed' | 'diverged' | 'collapsed';

export interface TrainResult {
  history: EpochRow[];
  outcome: TrainOutcome;
  /** Why the run diverged. */
  reason?: string;
  /** 1-based epoch whose weights the model holds at the end. */
  bestEpoch: number;
  /** Epoch after which early stopping (or a callback) ended training. */
  stoppedEpoch?: number;
  /** Why a callback stopped training (its `{stop}`). */
  stopReason?: string;
  /** model.json of the saved checkpoint (with options.checkpointDir). */
  checkpoint?: string;
  imagesPerSecond: number;
  seconds: number;
}

/** Mean cross-entropy from logits against (possibly soft) targets. */
export { crossEntropy } from './losses';

/** Entropy of the class prior: the cross-entropy of always predicting the training frequencies. */
export function priorEntropy(labels: Int32Array, numClasses: number): number {
  const counts = new Array(numClasses).fill(0);
  for (const l of labels) counts[l]++;
  let h = 0;
  for (const c of counts) if (c > 0) { const p = c / labels.length; h -= p * Math.log(p); }
  return h;
}

/** Which epoch's weights the run ends with. */
type Selection = 'monitor' | 'val' | 'last';

function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

function setHeadBias(model: tf.LayersModel, bias: ArrayLike<number>): void {
  const layer = model.layers.find((l) => l.name === 'logits');
  const weights = layer?.getWeights() ?? [];
  if (!layer || weights.length !== 2 || weights[1].shape[0] !== bias.length) {
    throw new Error(`cannot set the head bias: the model has no \`logits\` layer with a bias of ${bias.length} values`);
  }
  const b = tf.tensor1d(Array.from(bias));
  layer.setWeights([weights[0], b]);
  b.dispose();
}

/**
 * The trainable variables in two groups: the backbone (layers of the stem and
 * the stages, named `stem_...`/`stageN_...`) and the head (everything after).
 */
export function backboneAndHead(model: tf.LayersModel): { backbone: tf.Variable[]; head: tf.Variable[] } {
  const backbone: tf.Variable[] = [], head: tf.Variable[] = [];
  for (const w of model.trainableWeights) (layerStage(w.originalName.split('/')[0]) ? backbone : head).push(w.read() as tf.Variable);
  return { backbone, head };
}

export async function fit(model: tf.LayersModel, train: BatchSource, val: BatchSource | undefined,
  cfg: TrainConfig, cb: TrainCallbacks = {}, options: FitOptions = {}): Promise<TrainResult> {
  const hasVal = !!val && val.size > 0;
  const es = cfg.earlyStopping ? new EarlyStopping(cfg.earlyStopping) : undefined;
  const extra = train.targets ? ['micro_f1'] : [];
  if (es) checkMonitor(es.cfg.monitor, 'train.earlyStopping.monitor', hasVal, extra);
  if (cfg.schedule?.kind === 'plateau') checkMonitor(cfg.schedule.monitor, 'train.schedule.monitor', hasVal, extra);
  if (train.size === 0) throw new Error('the training split is empty: nothing to train on');
  const selection: Selection = es?.cfg.restoreBest ? 'monitor' : cfg.restoreBest && hasVal ? 'val' : 'last';

  const k = train.numClasses;
  if (options.headBias) setHeadBias(model, options.headBias);
  // Multi-label sources carry 0/1 label sets: per-label losses, subset accuracy, a per-label prior.
  const multi = !!train.targets;
  const act = cfg.headActivation ?? 'sigmoid';
  const { lossFn, optimizer } = trainingObjective(cfg, k, options.classWeights, multi);
  const stepsPerEpoch = Math.ceil(train.size / cfg.batchSize);
  const schedule = createSchedule(cfg.schedule ?? { kind: 'constant', warmupEpochs: 0 } as TrainConfig['schedule'],
    { lr: cfg.lr, epochs: cfg.epochs, stepsPerEpoch });
  const prior = tf.keep(tf.tensor2d(multi ? priorLabelOutputs(train.targets!, k, act) : priorLogits(train.labels, k, cfg.loss ?? 'cross-entropy'), [1, k]));
  const rng = new Random(seedFrom(cfg.seed, 'shuffle'));
  const history: EpochRow[] = [];
  const t0 = Date.now();
  let seen = 0, step = 0;
  let best: EpochRow | undefined;
  // Kept per variable: model.getWeights() orders trainable weights first, and
  // unfreezing (model.unfreezeAfter) between saving and restoring reorders them.
  let bestWeights: [tf.LayerVariable, tf.Tensor][] | undefined;
  let checkpoint: string | undefined;
  let stoppedEpoch: number | undefined;
  let stopReason: string | undefined;
  let outcome: TrainOutcome = 'completed';
  let reason: string | undefined;
  // The divergence test reads the second half of the last epoch: the model at
  // the end of training, not the running average from a random start.
  let tail = { loss: 0, prior: 0, n: 0 };
  try {
    for (let epoch = 1; epoch <= cfg.epochs; epoch++) {
      if (options.unfreezeAfter != null && epoch === options.unfreezeAfter + 1) {
        const r = unfreezeAll(model);
        options.log?.(`cellab: epoch ${epoch}: unfroze every layer (${r.trainableParams} trainable weights)`);
      }
      const vars = trainableVariables(model);
      if (vars.length === 0) throw new Error('every layer is frozen: nothing to train (check model.freeze, or use model.head: linear)');
      const scale = cfg.backboneLrScale ?? 1;
      const groups = scale !== 1 ? backboneAndHead(model) : undefined;
      let lossSum = 0, correct = 0, count = 0, batch = 0, lr = cfg.lr;
      const ml = [0, 0, 0]; // multi-label: true positives, false positives, false negatives at 0.5
      const perBatch: { loss: number; prior: number; n: number }[] = [];
      const epochStart = Date.now();
      // A batch's numbers stay on the device and are read one step later
      // (engine/reads.ts), so the device never waits for this loop. A
      // non-finite loss is therefore seen one batch late: the run is diverged
      // either way, and a diverged run keeps no weights.
      type Meta = { batch: number; n: number; lr: number };
      const reads = new ReadQueue<Meta>(1);
      const take = (done: Read<Meta>[]): boolean => {
        for (const { values, meta } of done) {
          if (outcome !== 'completed') break;
          const [l, hits, base] = values;
          if (!Number.isFinite(l)) {
            outcome = 'diverged';
            reason = `the training loss became ${l / meta.n} at epoch ${epoch}, batch ${meta.batch} (learning rate ${meta.lr}; it is probably too high)`;
            break;
          }
          lossSum += l;
          count += meta.n;
          correct += hits;
          if (multi) { ml[0] += values[3]; ml[1] += values[4]; ml[2] += values[5]; }
          perBatch.push({ loss: l, prior: base, n: meta.n });
          seen += meta.n;
          cb.onBatchEnd?.({ epoch, batch: meta.batch, batches: stepsPerEpoch, loss: lossSum / count, lr: meta.lr,
            imagesPerSecond: count / Math.max(1e-3, (Date.now() - epochStart) / 1000) });
        }
        return outcome === 'completed';
      };
      try {
        for (const b of train.batches({ batchSize: cfg.batchSize, shuffle: rng.fork('epoch', epoch) })) {
          batch++;
          lr = schedule.rate(step++);
          const n = b.labels.length;
          // Correct predictions (multi-label: [exact rows, tp, fp, fn] at 0.5), summed on the device over micro-batches.
          let counts: tf.Tensor | undefined;
          let stepResult: { value: tf.Scalar; grads: tf.NamedTensorMap };
          try {
            stepResult = accumulatedGrads(n, cfg.microBatch, (start, size) => {
              const whole = size === n;
              const x = whole ? b.x : b.x.slice(start, size), y = whole ? b.y : b.y.slice(start, size);
              const logits = model.apply(x, { training: true }) as tf.Tensor2D;
              const part = multi ? multiLabelCounts(logits, whole ? b.targets! : b.targets!.subarray(start * k, (start + size) * k), act)
                : tf.tidy(() => tf.reshape(tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), tf.tensor1d(b.labels.subarray(start, start + size), 'int32')), 'float32')), [1]));
              const next = tf.keep(counts ? tf.add(counts, part) : part);
              tf.dispose(counts ?? []);
              counts = next;
              return lossFn(y, logits);
            }, vars);
          } catch (err) {
            tf.dispose(counts ?? []);
            throw explainHeapError(err, `training step (epoch ${epoch}, batch ${batch}, ${n} images of ${b.x.shape.slice(1).join('x')})`);
          }
          // [loss x n, correct (multi-label: exact rows), loss of the class prior x n], then multi-label [tp, fp, fn].
          const stats = tf.tidy(() => {
            const head = tf.stack([tf.mul(stepResult.value, n), tf.slice(counts!, [0], [1]).reshape([]), tf.mul(lossFn(b.y, tf.tile(prior, [n, 1]) as tf.Tensor2D), n)]);
            return multi ? tf.concat([head, tf.slice(counts!, [1], [3])]) : head;
          });
          tf.dispose(counts!);
          const { value, grads } = stepResult;
          const clipped = clipGradients(grads, { norm: cfg.clipGradNorm, value: cfg.clipGradValue });
          if (groups) {
            optimizer.step(groups.head, clipped, lr);
            if (scale > 0) optimizer.step(groups.backbone, clipped, lr * scale);
          } else {
            optimizer.step(vars, clipped, lr);
          }
          if (clipped !== grads) tf.dispose(Object.values(clipped));
          tf.dispose([value, b.x, b.y, ...Object.values(grads)]);
          if (!take(await reads.push(stats!, { batch, n, lr }))) break;
          // Let the event loop run between steps: a Ctrl-C (or SIGTERM) is handled now, not at the epoch's end.
          await new Promise((resolve) => setImmediate(resolve));
        }
        if (outcome === 'completed') take(await reads.drain());
      } finally {
        reads.dispose();
      }
      if (outcome !== 'completed') break;
      tail = perBatch.slice(Math.floor(perBatch.length / 2)).reduce((a, p) => ({ loss: a.loss + p.loss, prior: a.prior + p.prior, n: a.n + p.n }), { loss: 0, prior: 0, n: 0 });
      const row: EpochRow = { epoch, 'train/loss': lossSum / count, 'train/accuracy': correct / count, lr,
        images_per_second: count / Math.max(1e-3, (Date.now() - epochStart) / 1000) };
      if (multi) row['train/micro_f1'] = ml[0] === 0 ? 0 : (2 * ml[0]) / (2 * ml[0] + ml[1] + ml[2]);
      if (hasVal) {
        const v = await evaluateLoss(model, val!, Math.max(cfg.batchSize, 64), cfg.loss ?? 'cross-entropy', cfg.headActivation);
        row['val/loss'] = v.loss;
        row['val/accuracy'] = v.accuracy;
        if (v.microF1 !== undefined) row['val/micro_f1'] = v.microF1;
      }
      schedule.onEpochEnd(row);
      const esImproved = es ? es.improves(row) : false;
      const improved = selection === 'monitor' ? esImproved : selection === 'val' ? isBetterEpoch(row, best) : true;
      if (improved && Number.isFinite(row['train/loss'])) {
        best = row;
        if (selection !== 'last') {
          tf.dispose((bestWeights ?? []).map(([, t]) => t));
          bestWeights = model.weights.map((w) => [w, w.read().clone()]);
        }
        if (options.checkpointDir && selection !== 'last') {
          checkpoint = await saveCheckpoint(model, options.checkpointDir, { ...options.checkpointMeta, epoch });
        }
      }
      history.push(row);
      const verdict = await cb.onEpochEnd?.(row);
      if (verdict?.stop) {
        stoppedEpoch = epoch;
        stopReason = verdict.stop;
        options.log?.(`cellab: training stopped after epoch ${epoch}: ${verdict.stop}`);
        break;
      }
      if (es?.shouldStop(row)) {
        stoppedEpoch = epoch;
        options.log?.(`cellab: early stopping after epoch ${epoch}: \`${es.cfg.monitor}\` has not improved for ${es.wait} epoch(s) (best ${es.best.toPrecision(4)} at epoch ${es.bestEpoch})`);
        break;
      }
    }
    if (outcome === 'completed' && history.length && tail.n > 0) {
      const last = tail.loss / tail.n, baseline = tail.prior / tail.n;
      if (!(last < baseline)) {
        outcome = 'diverged';
        reason = `the final training loss ${last.toFixed(4)} (second half of epoch ${history.length}) is no better than always predicting the training class prior (${baseline.toFixed(4)}); the learning rate ${cfg.lr} is probably too high`;
      }
    }
    let bestEpoch = history.length;
    if (outcome === 'completed' && bestWeights && best) {
      for (const [w, t] of bestWeights) w.write(t);
      bestEpoch = best.epoch;
    }
    if (outcome === 'completed' && options.checkpointDir && selection === 'last') {
      checkpoint = await saveCheckpoint(model, options.checkpointDir, { ...options.checkpointMeta, epoch: bestEpoch });
    }
    const seconds = (Date.now() - t0) / 1000;
    return { history, outcome, reason, bestEpoch, stoppedEpoch, stopReason, checkpoint: outcome === 'completed' ? checkpoint : undefined,
      imagesPerSecond: seen / Math.max(1e-3, seconds), seconds };
  } finally {
    tf.dispose((bestWeights ?? []).map(([, t]) => t));
    prior.dispose();
    lossFn.dispose();
    optimizer.dispose();
  }
}
