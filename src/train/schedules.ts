// Learning-rate schedules, evaluated every optimisation step (TF.js has no
// schedule API). `step` is the 0-based global step; with W warm-up steps,
// step s < W uses lr * (s + 1) / W for every kind. After warm-up:
//   constant  lr
//   step      lr * gamma^floor(epoch / stepEpochs)          (epoch = floor(s / stepsPerEpoch))
//   cosine    minLr + (lr - minLr) * (1 + cos(pi * (s - W) / (S - W))) / 2   (S = total steps)
//   plateau   PyTorch's ReduceLROnPlateau: multiplied by `factor` when the
//             monitored metric has not improved (relative threshold) for more
//             than `patience` epochs, then `cooldown` epochs of grace; floor minLr.
import type { EpochRow } from './history';
import type { MonitorMode, ScheduleConfig } from './schema';
import { metricOf, resolveMode } from './monitor';

export interface LrSchedule {
  /** The learning rate of global step `step` (0-based). */
  rate(step: number): number;
  /** Called with each epoch's row (plateau reads its monitor here). */
  onEpochEnd(row: EpochRow): void;
}

export interface ScheduleContext {
  lr: number;
  epochs: number;
  stepsPerEpoch: number;
}

export function warmupSteps(cfg: Pick<ScheduleConfig, 'warmupEpochs'>, ctx: ScheduleContext): number {
  return Math.round(cfg.warmupEpochs * ctx.stepsPerEpoch);
}

/** Cosine decay with linear warm-up, the formula above. */
export function cosineWithWarmup(step: number, o: { lr: number; minLr: number; warmup: number; total: number }): number {
  if (step < o.warmup) return o.lr * (step + 1) / o.warmup;
  const progress = Math.min(1, (step - o.warmup) / Math.max(1, o.total - o.warmup));
  return o.minLr + (o.lr - o.minLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
}

/** PyTorch's ReduceLROnPlateau (threshold_mode 'rel'), stepped once per epoch with the metric. */
export class ReduceOnPlateau {
  lr: number;
  best: number;
  badEpochs = 0;
  cooldownLeft = 0;
  private readonly mode: 'min' | 'max';

  constructor(lr: number, readonly o: { factor: number; patience: number; threshold: number; cooldown: number; minLr: number; mode: MonitorMode; monitor: string }) {
    this.lr = lr;
    this.mode = resolveMode(o.monitor, o.mode);
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  private isBetter(a: number): boolean {
    return this.mode === 'min' ? a < this.best * (1 - this.o.threshold) : a > this.best * (1 + this.o.threshold);
  }

  /** Feed one epoch's metric; returns the learning rate for the next epoch. */
  step(metric: number): number {
    if (this.isBetter(metric)) { this.best = metric; this.badEpochs = 0; } else this.badEpochs++;
    if (this.cooldownLeft > 0) { this.cooldownLeft--; this.badEpochs = 0; }
    if (this.badEpochs > this.o.patience) {
      const next = Math.max(this.lr * this.o.factor, this.o.minLr);
      if (this.lr - next > 1e-8) this.lr = next;
      this.cooldownLeft = this.o.cooldown;
      this.badEpochs = 0;
    }
    return this.lr;
  }
}

export function createSchedule(cfg: ScheduleConfig, ctx: ScheduleContext): LrSchedule {
  const warmup = warmupSteps(cfg, ctx);
  const total = ctx.epochs * ctx.stepsPerEpoch;
  const ramp = (step: number, after: () => number) => (step < warmup ? ctx.lr * (step + 1) / warmup : after());
  const noop = () => undefined;
  switch (cfg.kind) {
    case 'constant':
      return { rate: (s) => ramp(s, () => ctx.lr), onEpochEnd: noop };
    case 'step': {
      const every = cfg.stepEpochs ?? Math.max(1, Math.ceil(ctx.epochs / 3));
      return { rate: (s) => ramp(s, () => ctx.lr * cfg.gamma ** Math.floor(Math.floor(s / ctx.stepsPerEpoch) / every)), onEpochEnd: noop };
    }
    case 'cosine':
      return { rate: (s) => cosineWithWarmup(s, { lr: ctx.lr, minLr: cfg.minLr, warmup, total }), onEpochEnd: noop };
    case 'plateau': {
      const p = new ReduceOnPlateau(ctx.lr, cfg);
      return {
        rate: (s) => ramp(s, () => p.lr),
        onEpochEnd: (row) => { p.step(metricOf(row, cfg.monitor, 'train.schedule.monitor')); },
      };
    }
  }
}
