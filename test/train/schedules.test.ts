// Learning-rate schedules against their formulas (cosine with linear warm-up)
// and against PyTorch's ReduceLROnPlateau.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSchedule, ReduceOnPlateau } from '../../src/train/schedules';
import type { ScheduleConfig } from '../../src/train/schema';
import { askTorch } from './torch';

const BASE: ScheduleConfig = { kind: 'constant', warmupEpochs: 0, minLr: 0, stepEpochs: null, gamma: 0.1, factor: 0.1, patience: 10,
  monitor: 'val/loss', mode: 'auto', threshold: 1e-4, cooldown: 0 };

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-12 + 1e-9 * Math.abs(b), `${what}: ${a} vs ${b}`);

test('cosine with linear warm-up: lr (s+1)/W for s < W, then minLr + (lr - minLr)(1 + cos(pi (s-W)/(S-W)))/2', () => {
  const lr = 0.1, minLr = 1e-5, epochs = 10, stepsPerEpoch = 5, W = 2 * stepsPerEpoch, S = epochs * stepsPerEpoch;
  const s = createSchedule({ ...BASE, kind: 'cosine', warmupEpochs: 2, minLr }, { lr, epochs, stepsPerEpoch });
  for (let step = 0; step < S; step++) {
    const want = step < W ? lr * (step + 1) / W : minLr + (lr - minLr) * 0.5 * (1 + Math.cos(Math.PI * (step - W) / (S - W)));
    close(s.rate(step), want, `step ${step}`);
  }
  close(s.rate(0), lr / W, 'first step');
  close(s.rate(W - 1), lr, 'end of warm-up reaches lr');
  close(s.rate(W), lr, 'cosine starts at lr');
  close(s.rate(W + (S - W) / 2), (lr + minLr) / 2, 'half-way down');
  for (let step = W + 1; step < S; step++) assert.ok(s.rate(step) < s.rate(step - 1), `not decreasing at ${step}`);
  assert.ok(s.rate(S - 1) > minLr && s.rate(S - 1) < minLr + 0.01 * lr);
});

test('cosine without warm-up starts at lr; fractional warm-up epochs round to steps', () => {
  const s = createSchedule({ ...BASE, kind: 'cosine' }, { lr: 1, epochs: 4, stepsPerEpoch: 10 });
  close(s.rate(0), 1, 'step 0');
  close(s.rate(20), 0.5, 'middle');
  const w = createSchedule({ ...BASE, kind: 'cosine', warmupEpochs: 0.5 }, { lr: 1, epochs: 4, stepsPerEpoch: 10 });
  close(w.rate(0), 1 / 5, 'warm-up over 5 steps');
  close(w.rate(4), 1, 'end of warm-up');
});

test('step decay: lr * gamma^floor(epoch / stepEpochs); constant stays put', () => {
  const s = createSchedule({ ...BASE, kind: 'step', stepEpochs: 2, gamma: 0.5 }, { lr: 0.8, epochs: 6, stepsPerEpoch: 3 });
  const perEpoch = [0, 1, 2, 3, 4, 5].map((e) => s.rate(e * 3 + 1));
  perEpoch.forEach((v, e) => close(v, 0.8 * 0.5 ** Math.floor(e / 2), `epoch ${e}`));
  const c = createSchedule(BASE, { lr: 0.3, epochs: 2, stepsPerEpoch: 4 });
  for (let i = 0; i < 8; i++) close(c.rate(i), 0.3, `constant step ${i}`);
});

const PLATEAU_CASES = [
  { mode: 'min', factor: 0.5, patience: 2, threshold: 1e-4, cooldown: 0, min_lr: 0, metrics: [1, 0.9, 0.9, 0.9, 0.9, 0.85, 0.85, 0.85, 0.85, 0.85, 0.84999, 0.7] },
  { mode: 'min', factor: 0.1, patience: 0, threshold: 0.01, cooldown: 2, min_lr: 1e-3, metrics: [1, 0.995, 0.99, 0.98, 0.98, 0.98, 0.98, 0.97, 0.97, 0.96, 0.96, 0.96] },
  { mode: 'max', factor: 0.3, patience: 1, threshold: 1e-4, cooldown: 1, min_lr: 0, metrics: [0.5, 0.6, 0.6, 0.6, 0.7, 0.69, 0.7, 0.7, 0.71, 0.71, 0.71, 0.71] },
] as const;

test('reduce-on-plateau matches torch.optim.lr_scheduler.ReduceLROnPlateau epoch by epoch', () => {
  const expected = askTorch<number[]>(PLATEAU_CASES.map((c) => ({ kind: 'plateau', lr: 0.1, ...c })));
  PLATEAU_CASES.forEach((c, i) => {
    const p = new ReduceOnPlateau(0.1, { factor: c.factor, patience: c.patience, threshold: c.threshold, cooldown: c.cooldown,
      minLr: c.min_lr, mode: c.mode, monitor: 'val/loss' });
    const got = c.metrics.map((m) => p.step(m));
    got.forEach((v, e) => close(v, expected[i][e], `case ${i} epoch ${e + 1}`));
    assert.ok(new Set(got).size >= 2, `case ${i} never reduced`);
  });
});

test('plateau as a schedule: each epoch row sets the rate of the next epoch; warm-up still ramps', () => {
  const s = createSchedule({ ...BASE, kind: 'plateau', patience: 0, factor: 0.5, warmupEpochs: 1 }, { lr: 0.2, epochs: 5, stepsPerEpoch: 4 });
  close(s.rate(0), 0.05, 'warm-up');
  close(s.rate(3), 0.2, 'end of warm-up');
  s.onEpochEnd({ epoch: 1, 'val/loss': 1 });
  close(s.rate(4), 0.2, 'improved: unchanged');
  s.onEpochEnd({ epoch: 2, 'val/loss': 1.2 });
  close(s.rate(8), 0.1, 'worse with patience 0: halved');
  assert.throws(() => s.onEpochEnd({ epoch: 3, 'train/loss': 1 }), /train\.schedule\.monitor: metric `val\/loss` is not available\. Available: train\/loss/);
});
