// Model selection never looks at the reported (test) split. The sweep tests here
// record trial runs in a local store with chosen validation and test numbers, then let
// `runSweep --resume` (every trial already done: nothing trains) summarise them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compareCandidates, pickBest, NO_VALIDATION_REASON } from '../../src/experiment/selection';
import { aggregate, formatTable, bestLine, runSweep, rankConfigurations, type TrialRow } from '../../src/experiment/sweep';
import { loadExperimentFile } from '../../src/experiment/config';
import { expandTrials } from '../../src/experiment/trials';
import { ExperimentResult } from '../../src/experiment/experiment';
import { openTracking } from '../../src/tracking/index';
import { SWEEP_ID_TAG, SWEEP_ROLE_TAG } from '../../src/experiment/parent';

const row = (trial: number, lr: number, o: { val?: number; loss?: number; test: number; fold?: number }): TrialRow => ({
  trial, label: `lr=${lr}`, params: { 'train.lr': lr }, fold: o.fold, outcome: 'completed', runId: `run${trial}`,
  metrics: { accuracy: o.test }, selection: o.val, selectionLoss: o.loss,
});

test('the best configuration is the one with the best validation accuracy, whatever test says', () => {
  const rows = [row(0, 0.1, { val: 0.6, test: 0.95 }), row(1, 0.01, { val: 0.8, test: 0.7 }), row(2, 0.001, { val: 0.7, test: 0.9 })];
  const { best } = pickBest(aggregate(rows));
  assert.equal(best?.params['train.lr'], 0.01);
  assert.deepEqual(rankConfigurations(rows).map((g) => g.params['train.lr']), [0.01, 0.001, 0.1]);
});

test('ties in validation accuracy go to the lower validation loss, then to sweep order; never to test', () => {
  const byLoss = [row(0, 0.1, { val: 0.8, loss: 0.5, test: 0.99 }), row(1, 0.01, { val: 0.8, loss: 0.4, test: 0.5 })];
  assert.equal(pickBest(aggregate(byLoss)).best?.params['train.lr'], 0.01);
  const full = [row(0, 0.1, { val: 0.8, loss: 0.4, test: 0.5 }), row(1, 0.01, { val: 0.8, loss: 0.4, test: 0.99 })];
  assert.equal(pickBest(aggregate(full)).best?.params['train.lr'], 0.1);
  // Means across folds that differ only by float rounding are a tie.
  assert.ok(compareCandidates({ selection: 0.1 + 0.2, firstTrial: 1 }, { selection: 0.3, firstTrial: 0 }) > 0);
});

test('k-fold: the mean validation accuracy across folds decides, not one fold', () => {
  const rows = [
    row(0, 0.1, { val: 0.95, test: 0.9, fold: 0 }), row(1, 0.1, { val: 0.5, test: 0.9, fold: 1 }),
    row(2, 0.01, { val: 0.8, test: 0.6, fold: 0 }), row(3, 0.01, { val: 0.8, test: 0.6, fold: 1 }),
  ];
  const { best } = pickBest(aggregate(rows));
  assert.equal(best?.params['train.lr'], 0.01);
  assert.equal(best?.n, 2);
  assert.equal(best?.selection, 0.8);
});

test('without a validation split nothing is picked (test would decide), and the table says why', () => {
  const rows = [row(0, 0.1, { test: 0.9 }), row(1, 0.01, { test: 0.7 })];
  const picked = pickBest(aggregate(rows));
  assert.equal(picked.best, null);
  assert.equal(picked.reason, NO_VALIDATION_REASON);
  assert.match(formatTable(rows, bestLine(picked.best, picked.reason)), /best: none \(no validation split: set dataset\.split\.valFraction\)$/);
  // A single configuration involves no choice.
  assert.equal(pickBest(aggregate([row(0, 0.1, { test: 0.9 })])).best?.params['train.lr'], 0.1);
});

// ---- the same, through runSweep on a store -------------------------------------------

function experimentFile(dir: string, o: { valFraction: number; kind?: string; folds?: number; threshold?: boolean }): string {
  const file = path.join(dir, 'exp.yaml');
  fs.writeFileSync(file, `
name: selection-test
dataset:
  format: folder
  root: ${path.join(dir, 'data')}
  image: { size: 8 }
  split: { kind: ${o.kind ?? 'stratified'}, folds: ${o.folds ?? 5}, valFraction: ${o.valFraction}, testFraction: 0.2 }
model: { backbone: small-cnn, width: 0.25 }
train: { epochs: 1 }
${o.threshold ? 'eval: { threshold: youden }' : ''}
sweep:
  train.lr: [0.1, 0.01, 0.001]
tracking: { uri: ${path.join(dir, 'store')}, experiment: selection }
`);
  return file;
}

interface Recorded { val?: number; loss?: number; test: number; threshold?: number; predictions?: string }

/** Record one finished child run per trial, as a sweep would have, under a parent with `sweepId`. */
async function recordSweep(file: string, sweepId: string, numbers: (t: { index: number; lr: number; fold?: number }) => Recorded): Promise<void> {
  const resolved = loadExperimentFile(file);
  const trials = expandTrials(resolved.config, path.dirname(file));
  const tracking = await openTracking({ uri: resolved.config.tracking.uri!, log: () => undefined });
  const experimentId = await tracking.getOrCreateExperiment('selection');
  const parent = await tracking.startRun({ experimentId, runName: 'sweep', tags: { [SWEEP_ID_TAG]: sweepId, [SWEEP_ROLE_TAG]: 'parent' } });
  await parent.detach();
  for (const t of trials) {
    const n = numbers({ index: t.index, lr: t.params['train.lr'] as number, fold: t.fold });
    const run = await tracking.startRun({ experimentId, runName: `trial-${t.index}`, parentRunId: parent.runId,
      tags: { [SWEEP_ID_TAG]: sweepId, 'cellab.trial_index': String(t.index), 'cellab.config_hash': t.configHash, 'cellab.outcome': 'completed' } });
    run.logMetric('test/accuracy', n.test, 1);
    if (n.val !== undefined) run.logMetric('val/best_accuracy', n.val, 1);
    if (n.loss !== undefined) run.logMetric('val/best_loss', n.loss, 1);
    if (n.threshold !== undefined) { run.logMetric('test/threshold', n.threshold, 1); run.setTag('cellab.threshold_positive', 'pos'); }
    if (n.predictions) await run.logArtifact('predictions.csv', n.predictions);
    await run.end('FINISHED');
  }
  await tracking.close();
}

async function summarise(file: string, sweepId: string) {
  const resolved = loadExperimentFile(file);
  const lines: string[] = [];
  const r = await runSweep(resolved, { resume: true, sweepId, progress: 'off', log: (l) => lines.push(l), parallel: 1 });
  return { ...r, resolved, lines };
}

test('runSweep reports the configuration best on validation although another is best on test', { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-select-'));
  const file = experimentFile(dir, { valFraction: 0.2 });
  // lr 0.1 wins on test; lr 0.001 on validation.
  const val: Record<number, number> = { 0.1: 0.6, 0.01: 0.7, 0.001: 0.9 };
  const testAcc: Record<number, number> = { 0.1: 0.99, 0.01: 0.8, 0.001: 0.75 };
  await recordSweep(file, 's1', ({ lr }) => ({ val: val[lr], loss: 1 - val[lr], test: testAcc[lr] }));
  const { summary, rows } = await summarise(file, 's1');
  assert.equal(summary.trials.finished, 3);
  assert.deepEqual(summary.best?.params, { 'train.lr': 0.001 });
  assert.equal(summary.best?.metrics.accuracy, 0.75);
  assert.equal(summary.best?.selection.value, 0.9);
  assert.equal(rows.find((r) => r.runId === summary.best?.run_id)?.params['train.lr'], 0.001);
  const tracking = await openTracking({ uri: path.join(dir, 'store'), log: () => undefined });
  const parent = await tracking.getRun(summary.run_id);
  assert.equal(parent.tags['cellab.best_run_id'], summary.best?.run_id);
  assert.match((await tracking.downloadArtifact(summary.run_id, 'sweep/summary.txt')).toString(), /best: train\.lr=0\.001 \(trial 2; chosen on validation: mean val accuracy 0\.9000/);
  await tracking.close();
});

test('runSweep without a validation split: best is null with the reason, and best() says so', { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-select-'));
  const file = experimentFile(dir, { valFraction: 0 });
  await recordSweep(file, 's2', ({ lr }) => ({ test: lr }));
  const { summary, rows, resolved } = await summarise(file, 's2');
  assert.equal(summary.best, null);
  assert.equal(summary.best_reason, 'no validation split: set dataset.split.valFraction');
  const json = JSON.parse(JSON.stringify(summary));
  assert.equal(json.best, null);
  const result = new ExperimentResult(resolved, summary, rows, summary.tracking_uri);
  assert.throws(() => result.best(), /no best configuration: no validation split: set dataset\.split\.valFraction/);
});

test('k-fold: best() is the configuration across its folds, with pooled out-of-fold predictions at each fold\'s threshold', { timeout: 60_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-select-'));
  const file = experimentFile(dir, { valFraction: 0.2, kind: 'stratified-kfold', folds: 2, threshold: true });
  // lr 0.01 has the best mean validation accuracy (0.8, 0.8) though lr 0.1 has the best single fold (0.95).
  const val: Record<string, number> = { '0.1/0': 0.95, '0.1/1': 0.5, '0.01/0': 0.8, '0.01/1': 0.8, '0.001/0': 0.6, '0.001/1': 0.6 };
  // Each fold's held-out items, scored; fold 0 decides at 0.5, fold 1 at 0.2.
  const preds = (fold: number) => `id,path,label,neg,pos\n${fold}a,a.png,pos,0.7,0.3\n${fold}b,b.png,neg,0.9,0.1\n`;
  await recordSweep(file, 's3', ({ lr, fold }) => ({ val: val[`${lr}/${fold}`], test: 0.5, threshold: fold === 0 ? 0.5 : 0.2, predictions: preds(fold!) }));
  const { summary, rows, resolved } = await summarise(file, 's3');
  assert.deepEqual(summary.best?.params, { 'train.lr': 0.01 });
  assert.equal(summary.best?.run_ids.length, 2);
  assert.equal(summary.best?.selection.folds, 2);
  const best = new ExperimentResult(resolved, summary, rows, summary.tracking_uri).best();
  assert.deepEqual(best.runIds.sort(), [...summary.best!.run_ids].sort());
  const e = await best.evaluation();
  // 4 pooled items; fold 0 (threshold 0.5) calls its positive (0.3) negative, fold 1 (0.2) calls it positive.
  assert.equal(e.predictions.length, 4);
  assert.deepEqual(e.confusionMatrix, [[2, 0], [1, 1]]);
  assert.match(await best.decision(), /pos when its score >= 0\.5000 \/ 0\.2000 \(chosen on validation, per fold\)/);
});
