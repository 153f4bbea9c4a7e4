// The learning-rate range test (Smith 2015; fastai's lr_find): train from the
// initial weights for ~100 steps while the learning rate grows exponentially from
// `startLr` to `endLr`, record the loss (and an exponentially smoothed, bias-corrected
// copy), and stop once the loss diverges. Suggested: the steepest descent of the
// smoothed loss, and the learning rate of its minimum divided by 10.
// The model is trained in place: pass a fresh one.
import * as tf from '@tensorflow/tfjs';
import type { BatchSource } from '../data/batches';
import { Random, seedFrom } from '../engine/random';
import type { TrainConfig } from './schema';
import { trainingObjective } from './objective';

export interface LrFindOptions {
  startLr?: number;
  endLr?: number;
  /** Steps (batches) at most (default 100). */
  steps?: number;
  /** Weight of the past in the smoothed loss (default 0.98, as fastai). */
  beta?: number;
  /** Stop when the smoothed loss exceeds this multiple of its minimum (default 4). */
  divergeFactor?: number;
  classWeights?: number[];
  onStep?: (p: LrFindPoint, steps: number) => void;
}

export interface LrFindPoint { step: number; lr: number; loss: number; smoothed: number }

export interface LrFindResult {
  points: LrFindPoint[];
  /** `steepest`: where the smoothed loss falls fastest; `minimum/10`: the minimum's lr / 10. */
  suggestions: { steepest?: number; 'minimum/10'?: number };
  /** Why the test ended. */
  stopped: 'diverged' | 'steps';
  reason: string;
}

/** Learning rate at step i of n, from start to end exponentially (both ends included). */
export function exponentialLr(i: number, n: number, start: number, end: number): number {
  return n <= 1 ? start : start * (end / start) ** (i / (n - 1));
}

/**
 * Suggestions from the smoothed curve, leaving out the last `skipEnd` points (the
 * divergence) as fastai does: the steepest forward slope against log(lr), and the
 * minimum's learning rate / 10.
 */
export function suggestLrs(points: LrFindPoint[], skipEnd = 5): LrFindResult['suggestions'] {
  const usable = points.filter((p) => Number.isFinite(p.smoothed));
  const pts = usable.length > skipEnd + 5 ? usable.slice(0, usable.length - skipEnd) : usable;
  if (pts.length < 3) return {};
  let minI = 0;
  pts.forEach((p, i) => { if (p.smoothed < pts[minI].smoothed) minI = i; });
  let steepI = -1, steepest = 0;
  for (let i = 0; i + 1 < pts.length; i++) {
    const slope = (pts[i + 1].smoothed - pts[i].smoothed) / (Math.log(pts[i + 1].lr) - Math.log(pts[i].lr));
    if (slope < steepest) { steepest = slope; steepI = i; }
  }
  return { ...(steepI >= 0 ? { steepest: pts[steepI].lr } : {}), 'minimum/10': pts[minI].lr / 10 };
}

export async function lrRangeTest(model: tf.LayersModel, train: BatchSource, cfg: TrainConfig, o: LrFindOptions = {}): Promise<LrFindResult> {
  const start = o.startLr ?? 1e-7, end = o.endLr ?? 10, steps = o.steps ?? 100;
  const beta = o.beta ?? 0.98, factor = o.divergeFactor ?? 4;
  if (!(start > 0 && end > start)) throw new RangeError(`lr-find: the range must grow (0 < startLr < endLr), got ${start} .. ${end}`);
  if (!(steps >= 2)) throw new RangeError(`lr-find: steps must be at least 2, got ${steps}`);
  if (train.size === 0) throw new Error('lr-find: the training split is empty');
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  if (vars.length === 0) throw new Error('lr-find: every layer is frozen: nothing to train');
  const { lossFn, optimizer } = trainingObjective(cfg, train.numClasses, o.classWeights, !!train.targets);
  const rng = new Random(seedFrom(cfg.seed, 'lr-find'));
  const points: LrFindPoint[] = [];
  let avg = 0, best = Infinity;
  let stopped: LrFindResult['stopped'] = 'steps', reason = `ran all ${steps} steps up to lr ${end}`;
  try {
    outer: for (let pass = 0; points.length < steps; pass++) {
      for (const b of train.batches({ batchSize: cfg.batchSize, shuffle: rng.fork('pass', pass) })) {
        const i = points.length;
        const lr = exponentialLr(i, steps, start, end);
        const { value, grads } = tf.variableGrads(() => lossFn(b.y, model.apply(b.x, { training: true }) as tf.Tensor2D), vars);
        // Each step's decision (update, stop) needs its loss: read asynchronously (engine/reads.ts).
        const loss = (await value.data())[0];
        if (Number.isFinite(loss)) optimizer.step(vars, grads, lr);
        tf.dispose([value, b.x, b.y, ...Object.values(grads)]);
        avg = beta * avg + (1 - beta) * loss;
        const smoothed = avg / (1 - beta ** (i + 1));
        const p = { step: i, lr, loss, smoothed };
        points.push(p);
        o.onStep?.(p, steps);
        if (!Number.isFinite(loss)) { stopped = 'diverged'; reason = `the loss became ${loss} at lr ${lr.toPrecision(3)}`; break outer; }
        if (smoothed < best) best = smoothed;
        if (i > 5 && smoothed > factor * best) {
          stopped = 'diverged';
          reason = `the smoothed loss ${smoothed.toFixed(3)} passed ${factor}x its minimum ${best.toFixed(3)} at lr ${lr.toPrecision(3)}`;
          break outer;
        }
        if (points.length >= steps) break outer;
      }
    }
  } finally {
    lossFn.dispose();
    optimizer.dispose();
  }
  return { points, suggestions: suggestLrs(points), stopped, reason };
}
