// The LR range test: learning rates grow exponentially step by step, the loss is smoothed
// as fastai smooths it, the test stops when the loss diverges, and the suggestions sit
// where the curve falls fastest and below its minimum.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../../src/engine/backend';
import { createBackbone } from '../../src/models/index';
import { exponentialLr, lrRangeTest, suggestLrs, type LrFindPoint } from '../../src/train/lr-find';
import { validate } from '../../src/engine/schema';
import { trainSchema, type TrainConfig } from '../../src/train/schema';
import { toySource } from './toy-data';

before(async () => { await initEngine({ backend: 'wasm', log: null }); });

const cfg = (over: Record<string, unknown> = {}) => validate(trainSchema, { epochs: 1, lr: 0.01, batchSize: 8, optimizer: 'sgd', ...over }, 'train', []) as TrainConfig;

test('exponential schedule from start to end', () => {
  const lrs = Array.from({ length: 5 }, (_, i) => exponentialLr(i, 5, 1e-4, 1));
  assert.deepEqual(lrs.map((x) => Number(x.toPrecision(6))), [1e-4, 1e-3, 1e-2, 1e-1, 1]);
});

test('suggestions on a known curve: steepest descent and minimum / 10', () => {
  // Flat, a steep fall between lr 1e-3 and 1e-2, a minimum at 1e-1, then a rise (left out as the divergence).
  const lrs = Array.from({ length: 21 }, (_, i) => 10 ** (-6 + i * 0.4));
  const loss = lrs.map((lr) => (lr < 1e-3 ? 2.3 : lr < 1e-2 ? 2.3 - 1.5 * Math.log10(lr / 1e-3) : lr <= 0.11 ? 0.8 - 0.3 * Math.log10(lr / 1e-2) : 0.5 + 5 * Math.log10(lr / 0.1)));
  const pts: LrFindPoint[] = lrs.map((lr, step) => ({ step, lr, loss: loss[step], smoothed: loss[step] }));
  const s = suggestLrs(pts);
  assert.ok(s.steepest! >= 1e-3 && s.steepest! < 1e-2, `steepest ${s.steepest}`);
  const minLr = lrs[loss.indexOf(Math.min(...loss.slice(0, 16)))];
  assert.ok(Math.abs(s['minimum/10']! - minLr / 10) < 1e-15, `minimum/10 ${s['minimum/10']} vs ${minLr / 10}`);
  assert.deepEqual(suggestLrs(pts.slice(0, 2)), {}, 'too few points: no suggestion');
});

test('on a real net: smoothed as fastai, stops at divergence, suggests a learning rate below it', async () => {
  const model = createBackbone('small-cnn', { inputShape: [16, 16, 1], classes: 3, width: 0.5, seed: 0 });
  const train = toySource(96, 1);
  const seen: number[] = [];
  const r = await lrRangeTest(model, train, cfg(), { startLr: 1e-4, endLr: 1e4, steps: 60, onStep: (p) => seen.push(p.step) });
  assert.equal(r.stopped, 'diverged', r.reason);
  assert.ok(r.points.length < 60, `stopped early at step ${r.points.length}`);
  assert.deepEqual(seen, r.points.map((p) => p.step), 'progress per step');
  assert.match(r.reason, /loss (became|.*passed 4x its minimum)/);
  // fastai's smoothing: avg = 0.98 avg + 0.02 loss; smoothed = avg / (1 - 0.98^(i+1)).
  let avg = 0;
  r.points.forEach((p, i) => {
    avg = 0.98 * avg + 0.02 * p.loss;
    if (Number.isFinite(p.loss)) assert.ok(Math.abs(p.smoothed - avg / (1 - 0.98 ** (i + 1))) < 1e-9);
    assert.ok(Math.abs(p.lr - exponentialLr(i, 60, 1e-4, 1e4)) < 1e-12 * p.lr);
  });
  const last = r.points[r.points.length - 1].lr;
  const { steepest, 'minimum/10': min10 } = r.suggestions;
  assert.ok(steepest! > 1e-4 && steepest! < last, `steepest ${steepest} before the divergence at ${last}`);
  assert.ok(min10! > 1e-5 && min10! < last / 10, `minimum/10 ${min10}`);
  model.dispose();
});

test('bad ranges are refused', async () => {
  const model = createBackbone('small-cnn', { inputShape: [16, 16, 1], classes: 3, width: 0.5 });
  await assert.rejects(lrRangeTest(model, toySource(8, 1), cfg(), { startLr: 1, endLr: 0.1 }), /the range must grow/);
  model.dispose();
});
