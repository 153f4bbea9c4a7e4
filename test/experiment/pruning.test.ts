// Pruning rules on synthetic histories: ASHA as Optuna's SuccessiveHalvingPruner,
// the median rule, and the pruner reading its siblings through a real local store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { aheadAt, ashaPromotes, bracketShares, crc32, createPruner, describePruning, hyperbandBracket, hyperbandBrackets, medianPrunes, rungEpoch } from '../../src/experiment/pruning';
import { Budget } from '../../src/experiment/search';
import { openTracking, type Tracking } from '../../src/tracking/index';
import type { PruneSpec } from '../../src/experiment/search-space';
import type { RunRecord } from '../../src/tracking/types';

test('ASHA rungs sit at minEpochs * r^k', () => {
  assert.deepEqual([0, 1, 2, 3].map((k) => rungEpoch(k, 1, 3)), [1, 3, 9, 27]);
  assert.deepEqual([0, 1, 2].map((k) => rungEpoch(k, 2, 2)), [2, 4, 8]);
});

test('ASHA promotes the top 1/r at a rung; with fewer than r values only the best so far', () => {
  // Trials arriving at a rung one after another (r = 3), values in arrival order.
  const arrivals = [0.5, 0.4, 0.6, 0.55, 0.3, 0.58, 0.7];
  const promoted = arrivals.map((v, i) => ashaPromotes(v, arrivals.slice(0, i + 1), 3, 'max'));
  // 1st: alone, best. 2nd: 2 < r, not the best. 3rd: best of 3 (top 1). 4th: top 1 of 4 is 0.6. 5th: no.
  // 6th: 6 values, top 2 are 0.6 and 0.58: promoted. 7th: best.
  assert.deepEqual(promoted, [true, false, true, false, false, true, true]);
  // Minimising (a loss): the smallest values continue.
  assert.equal(ashaPromotes(0.9, [1.2, 0.9, 1.0], 3, 'min'), true);
  assert.equal(ashaPromotes(1.0, [1.2, 0.9, 1.0], 3, 'min'), false);
  assert.equal(ashaPromotes(NaN, [0.5], 3, 'max'), false, 'a non-finite value never continues');
  assert.equal(ashaPromotes(0.5, [0.5, 0.5], 2, 'max'), true, 'ties continue');
});

test('the median rule prunes below the median of finished trials at the same epoch, once there are enough', () => {
  assert.deepEqual(medianPrunes(0.5, [0.6, 0.7], { minTrials: 3, direction: 'max' }), { prune: false });
  assert.deepEqual(medianPrunes(0.5, [0.6, 0.7, 0.4], { minTrials: 3, direction: 'max' }), { prune: true, median: 0.6 });
  assert.deepEqual(medianPrunes(0.625, [0.5, 0.75, 0.25, 1], { minTrials: 3, direction: 'max' }), { prune: false, median: 0.625 }, 'at the median: continues');
  assert.deepEqual(medianPrunes(1.1, [1.0, 1.2, 0.9], { minTrials: 1, direction: 'min' }), { prune: true, median: 1.0 });
  assert.equal(medianPrunes(NaN, [], { minTrials: 3, direction: 'max' }).prune, true);
});

const spec = (o: Partial<PruneSpec>): PruneSpec => ({ method: 'asha', minEpochs: 1, reductionFactor: 2, metric: 'val/accuracy', minTrials: 1, ...o });

async function sweepStore(): Promise<{ tracking: Tracking; experimentId: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-prune-'));
  const tracking = await openTracking({ uri: dir, log: () => undefined });
  return { tracking, experimentId: await tracking.getOrCreateExperiment('prune') };
}

/** A finished sibling trial with per-epoch values of val/accuracy (or `metric`). */
async function sibling(tracking: Tracking, experimentId: string, sweepId: string, values: number[], o: { rungs?: number[]; end?: 'FINISHED' | 'RUNNING'; metric?: string } = {}) {
  const run = await tracking.startRun({ experimentId, tags: { 'cellab.sweep_id': sweepId, 'cellab.outcome': 'completed' } });
  values.forEach((v, i) => run.logMetric(o.metric ?? 'val/accuracy', v, i + 1));
  (o.rungs ?? []).forEach((v, k) => run.logMetric(`prune/rung_${k}`, v, 2 ** k));
  if (o.end === 'RUNNING') await run.flush();
  else await run.end('FINISHED');
  return run;
}

test('ASHA through the store: a trial records its rung value and is judged against its siblings\'', async () => {
  const { tracking, experimentId } = await sweepStore();
  await sibling(tracking, experimentId, 's1', [0.6], { rungs: [0.6], end: 'RUNNING' });
  const me = await tracking.startRun({ experimentId, tags: { 'cellab.sweep_id': 's1' } });
  const pruner = createPruner({ spec: spec({}), tracking, experimentId, sweepId: 's1' });
  const reason = await pruner.check({ epoch: 1, 'val/accuracy': 0.5 }, me);
  assert.match(reason ?? '', /ASHA rung 0 \(epoch 1\): best val\/accuracy so far 0.5 is not in the top 1 of the 2 trial\(s\) at this rung \(the best there: 0.6\)/);
  // Its value is in the store, flushed, for the trials that come later.
  assert.equal((await tracking.getRun(me.runId)).metrics['prune/rung_0'], 0.5);
  // Another sweep's trials are not siblings; a better trial is promoted and judged at the next rung (epoch 2).
  await sibling(tracking, experimentId, 'another-sweep', [0.95], { rungs: [0.95] });
  await sibling(tracking, experimentId, 'another-sweep', [0.9], { rungs: [0.9] });
  const other = await tracking.startRun({ experimentId, tags: { 'cellab.sweep_id': 's1' } });
  const p2 = createPruner({ spec: spec({}), tracking, experimentId, sweepId: 's1' });
  assert.equal(await p2.check({ epoch: 1, 'val/accuracy': 0.7 }, other), undefined);
  assert.equal(await p2.check({ epoch: 2, 'val/accuracy': 0.8 }, other), undefined, 'alone at rung 1: best so far');
  // At its last epoch a trial is not pruned (nothing left to save), but its rung value counts for the others.
  const last = await tracking.startRun({ experimentId, tags: { 'cellab.sweep_id': 's1' } });
  const p3 = createPruner({ spec: spec({}), tracking, experimentId, sweepId: 's1', epochs: 1 });
  assert.equal(await p3.check({ epoch: 1, 'val/accuracy': 0.1 }, last), undefined);
  assert.equal((await tracking.getRun(last.runId)).metrics['prune/rung_0'], 0.1);
  await tracking.close();
});

test('median through the store: finished siblings\' values at the same epoch; running ones do not count', async () => {
  const { tracking, experimentId } = await sweepStore();
  await sibling(tracking, experimentId, 's2', [0.4, 0.6, 0.7]);
  await sibling(tracking, experimentId, 's2', [0.5, 0.7, 0.8]);
  await sibling(tracking, experimentId, 's2', [0.1, 0.1, 0.1], { end: 'RUNNING' });
  const me = await tracking.startRun({ experimentId, tags: { 'cellab.sweep_id': 's2' } });
  const pruner = createPruner({ spec: spec({ method: 'median', minEpochs: 2, minTrials: 2 }), tracking, experimentId, sweepId: 's2' });
  assert.equal(await pruner.check({ epoch: 1, 'val/accuracy': 0.1 }, me), undefined, 'not before minEpochs');
  assert.equal(await pruner.check({ epoch: 2, 'val/accuracy': 0.66 }, me), undefined, 'above the median 0.65');
  const atEnd = createPruner({ spec: spec({ method: 'median', minEpochs: 2, minTrials: 2 }), tracking, experimentId, sweepId: 's2', epochs: 3 });
  assert.equal(await atEnd.check({ epoch: 3, 'val/accuracy': 0.1 }, me), undefined, 'not at the last epoch');
  assert.match((await pruner.check({ epoch: 3, 'val/accuracy': 0.7 }, me)) ?? '', /median rule \(epoch 3\): best val\/accuracy so far 0.7 is below the median 0.75 of 2 finished trial\(s\)/);
  await assert.rejects(pruner.check({ epoch: 3, 'train/loss': 1 }, me), /sweep.prune.metric: `val\/accuracy` is not available \(is there a validation split/);
  await tracking.close();
});

test('a trial is judged by its best value so far (what selection reads), not by one bad epoch', async () => {
  const { tracking, experimentId } = await sweepStore();
  // ASHA, rung 0 at epoch 2: a sibling recorded 0.6 there. Ours reached 0.7 at epoch 1 and dipped to 0.5.
  await sibling(tracking, experimentId, 's3', [0.55, 0.6], { rungs: [0.6], end: 'RUNNING' });
  const me = await tracking.startRun({ experimentId, tags: { 'cellab.sweep_id': 's3' } });
  const asha = createPruner({ spec: spec({ minEpochs: 2 }), tracking, experimentId, sweepId: 's3' });
  assert.equal(await asha.check({ epoch: 1, 'val/accuracy': 0.7 }, me), undefined);
  assert.equal(await asha.check({ epoch: 2, 'val/accuracy': 0.5 }, me), undefined, 'its best, 0.7, is the top of the rung');
  assert.equal((await tracking.getRun(me.runId)).metrics['prune/rung_0'], 0.7);
  // A loss: the lowest so far. Median of the finished siblings' val/loss at epoch 2: 0.45.
  await sibling(tracking, experimentId, 's4', [0.5, 0.4], { metric: 'val/loss' });
  await sibling(tracking, experimentId, 's4', [0.6, 0.5], { metric: 'val/loss' });
  const median = () => createPruner({ spec: spec({ method: 'median', minEpochs: 1, minTrials: 2, metric: 'val/loss' }), tracking, experimentId, sweepId: 's4' });
  const other = await tracking.startRun({ experimentId, tags: { 'cellab.sweep_id': 's4' } });
  const med = median();
  assert.equal(await med.check({ epoch: 1, 'val/loss': 0.3 }, other), undefined);
  assert.equal(await med.check({ epoch: 2, 'val/loss': 0.9 }, other), undefined, 'its best loss, 0.3, is below the median 0.45');
  // A non-finite value is not hidden by an earlier good one.
  const nan = median();
  assert.equal(await nan.check({ epoch: 1, 'val/loss': 0.3 }, other), undefined);
  assert.match((await nan.check({ epoch: 2, 'val/loss': NaN }, other)) ?? '', /val\/loss became NaN at epoch 2/);
  await tracking.close();
});

test('ASHA: a running trial already ahead at its best so far counts at a rung it has not reached yet', async () => {
  const { tracking, experimentId } = await sweepStore();
  const running = async (sweepId: string, best: number, o: { rungs?: number[]; epochs?: number } = {}) => {
    const r = await tracking.startRun({ experimentId, tags: { 'cellab.sweep_id': sweepId } });
    if (o.epochs !== undefined) r.logParams({ 'train.epochs': o.epochs });
    r.logMetric('prune/best', best, 1);
    (o.rungs ?? []).forEach((v, k) => r.logMetric(`prune/rung_${k}`, v, 2 * 3 ** k));
    await r.flush();
    return r;
  };
  // First at rung 0 (epoch 2) but a slower sibling reached 0.4 at epoch 1: it will record at least 0.4 there.
  await running('a', 0.4);
  const me = await tracking.startRun({ experimentId, tags: { 'cellab.sweep_id': 'a' } });
  const p = createPruner({ spec: spec({ minEpochs: 2, reductionFactor: 3 }), tracking, experimentId, sweepId: 'a', epochs: 12 });
  assert.equal(await p.check({ epoch: 1, 'val/accuracy': 0.05 }, me), undefined);
  assert.equal((await tracking.getRun(me.runId)).metrics['prune/best'], 0.05, 'its best so far is visible to the others');
  assert.match((await p.check({ epoch: 2, 'val/accuracy': 0.07 }, me)) ?? '',
    /ASHA rung 0 \(epoch 2\): best val\/accuracy so far 0.07 is not in the top 1 of the 2 trial\(s\) at this rung \(the best there: 0.4; 1 of them still on the way, already ahead at their best so far\)/);
  await tracking.close();
});

test('who is ahead at a rung: running, past the previous rung, long enough to reach it, better already', () => {
  const run = (status: string, metrics: Record<string, number>, epochs = 12) =>
    ({ info: { status, runId: Math.random().toString(36) }, metrics, params: { 'train.epochs': String(epochs) }, tags: {} }) as unknown as RunRecord;
  const sibs = [
    run('RUNNING', { 'prune/best': 0.9, 'prune/rung_0': 0.6 }), // counts at rung 1
    run('RUNNING', { 'prune/best': 0.95 }), // has not passed rung 0
    run('RUNNING', { 'prune/best': 0.95, 'prune/rung_0': 0.9 }, 4), // ends before epoch 6
    run('RUNNING', { 'prune/best': 0.2, 'prune/rung_0': 0.2 }), // behind
    run('RUNNING', { 'prune/best': 0.9, 'prune/rung_0': 0.9, 'prune/rung_1': 0.9 }), // recorded there already
    run('FINISHED', { 'prune/best': 0.99, 'prune/rung_0': 0.99 }), // not running
  ];
  assert.deepEqual(aheadAt(sibs, 1, 6, 0.5, 'max'), [0.9]);
  assert.deepEqual(aheadAt(sibs, 0, 2, 0.5, 'max'), [0.95], 'at rung 0 every running trial gets there');
  assert.deepEqual(aheadAt([run('RUNNING', { 'prune/best': 0.3 })], 0, 2, 0.5, 'min'), [0.3], 'a loss: lower is ahead');
});

test('Hyperband lays out brackets and shares trials among them as Optuna does', () => {
  assert.equal(hyperbandBrackets(2, 3, 12), 2, 'floor(log3(12 / 2)) + 1');
  assert.equal(hyperbandBrackets(1, 3, 27), 4, 'an exact power of r counts');
  assert.equal(hyperbandBrackets(5, 3, 4), 1, 'fewer epochs than the first rung: one bracket');
  assert.deepEqual(bracketShares(2, 3), [3, 2]);
  assert.deepEqual(bracketShares(4, 3), [27, 12, 6, 4], 'ceil(n r^s / (s + 1)), s = n - 1 - b');
  assert.equal(crc32('123456789'), 0xcbf43926, 'the standard CRC-32 check value');
  const counts = [0, 0];
  for (let point = 0; point < 2000; point++) counts[hyperbandBracket(0, point, [3, 2])]++;
  assert.ok(Math.abs(counts[0] / 2000 - 0.6) < 0.04, `bracket 0 takes ~3/5 of the configurations: ${counts}`);
  assert.equal(hyperbandBracket(0, 7, [3, 2]), hyperbandBracket(0, 7, [3, 2]), 'the same configuration always lands in the same bracket');
  assert.match(describePruning(spec({ method: 'hyperband', minEpochs: 2, reductionFactor: 3 }), 12),
    /2 bracket\(s\) for 12 epochs.*bracket 0 \(3\/5 of the configurations\) judges at epoch\(s\) 2, 6; bracket 1 \(2\/5 of the configurations\) judges at epoch\(s\) 6; the top 1\/3 continue/);
  assert.match(describePruning(spec({ method: 'hyperband', minEpochs: 2, reductionFactor: 3, maxEpochs: 18 }), 12), /bracket 2 \(\d+\/\d+ of the configurations\) runs to the end/);
});

test('Hyperband through the store: a trial of a later bracket is first judged at its bracket\'s first rung, only against its bracket', async () => {
  const { tracking, experimentId } = await sweepStore();
  const hb = spec({ method: 'hyperband', minEpochs: 1, reductionFactor: 2 });
  // 4 epochs, r 2, first rung 1: brackets judge first at epochs 1, 2, 4 (shares 4 : 3 : 3).
  const shares = bracketShares(hyperbandBrackets(1, 2, 4), 2);
  const pointIn = (b: number) => Array.from({ length: 200 }, (_, i) => i).find((i) => hyperbandBracket(0, i, shares) === b)!;
  // A strong sibling in bracket 0 has recorded rungs 0 and 1: it does not compete with bracket 1.
  const strong = await tracking.startRun({ experimentId, tags: { 'cellab.sweep_id': 'h1', 'cellab.bracket': '0' } });
  strong.logMetric('prune/rung_0', 0.99, 1); strong.logMetric('prune/rung_1', 0.99, 2);
  await strong.end('FINISHED');
  const me = await tracking.startRun({ experimentId, tags: { 'cellab.sweep_id': 'h1' } });
  const pruner = createPruner({ spec: hb, tracking, experimentId, sweepId: 'h1', epochs: 4, point: pointIn(1) });
  assert.equal(await pruner.check({ epoch: 1, 'val/accuracy': 0.2 }, me), undefined, 'bracket 1 does not judge at epoch 1');
  assert.equal(await pruner.check({ epoch: 2, 'val/accuracy': 0.3 }, me), undefined, 'first at its rung 1, alone in its bracket: it continues although bracket 0 has 0.99 there');
  const mine = await tracking.getRun(me.runId);
  assert.equal(mine.tags['cellab.bracket'], '1');
  assert.equal(mine.metrics['prune/rung_0'], undefined, 'no value at a rung its bracket skips');
  assert.equal(mine.metrics['prune/rung_1'], 0.3);
  // A second bracket-1 trial that is worse at rung 1 is stopped there, and the reason names the bracket.
  const worse = await tracking.startRun({ experimentId, tags: { 'cellab.sweep_id': 'h1' } });
  const p2 = createPruner({ spec: hb, tracking, experimentId, sweepId: 'h1', epochs: 4, point: pointIn(1) });
  assert.equal(await p2.check({ epoch: 1, 'val/accuracy': 0.1 }, worse), undefined);
  assert.match((await p2.check({ epoch: 2, 'val/accuracy': 0.2 }, worse)) ?? '', /^Hyperband bracket 1, rung 1 \(epoch 2\): best val\/accuracy so far 0.2 is not in the top 1 of the 2 trial\(s\) at this rung \(the best there: 0.3\)/);
  // A bracket-0 trial is judged at epoch 1 against bracket 0 only.
  const early = await tracking.startRun({ experimentId, tags: { 'cellab.sweep_id': 'h1' } });
  const p0 = createPruner({ spec: hb, tracking, experimentId, sweepId: 'h1', epochs: 4, point: pointIn(0) });
  assert.match((await p0.check({ epoch: 1, 'val/accuracy': 0.5 }, early)) ?? '', /^Hyperband bracket 0, rung 0 \(epoch 1\): .*the best there: 0.99\)/);
  await tracking.close();
});

test('budgets: minutes of this process; trials of the whole sweep as recorded, a re-run trial not counted twice', async () => {
  const { tracking, experimentId } = await sweepStore();
  let now = 0;
  const timed = new Budget({ budget: { minutes: 1 }, tracking, experimentId, sweepId: 'b', now: () => now });
  assert.equal(await timed.reserve(0), true);
  now = Date.now() + 61_000;
  assert.equal(await timed.reserve(1), false);
  assert.equal(timed.stoppedBy, 'budget.minutes: 1 minute(s) spent');
  const run = await tracking.startRun({ experimentId, tags: { 'cellab.sweep_id': 'b', 'cellab.trial_index': '0' } });
  await run.end('KILLED');
  const counted = new Budget({ budget: { trials: 2 }, tracking, experimentId, sweepId: 'b' });
  // Concurrent workers asking at once: only one more trial fits.
  const got = await Promise.all([counted.reserve(1), counted.reserve(2)]);
  assert.deepEqual(got, [true, false]);
  assert.equal(counted.stoppedBy, 'budget.trials: 2 trial(s) started');
  const again = new Budget({ budget: { trials: 1 }, tracking, experimentId, sweepId: 'b' });
  assert.equal(await again.reserve(0), true, 'trial 0 already has a run: re-running it starts nothing new');
  await tracking.close();
});
