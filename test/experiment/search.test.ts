// A search end to end, as run-experiment processes on one local store (tiny
// images, 3 epochs): tpe + ASHA with --parallel 2 and as two shards, each
// trial run once; a pruned trial reported `pruned` in --json, in MLflow
// (KILLED + tags) and in the notebook table; a budget stopping a search and
// --resume continuing it without repeating trials.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { openTracking } from '../../src/tracking/index';
import type { RunRecord } from '../../src/tracking/types';
import { fromFile } from '../../src/experiment/experiment';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'src', 'cli', 'run-experiment.ts');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-search-'));
const experiment = path.join(work, 'search.yaml');

// Seed 6 draws lr 0.004, 0.004, 1e-6, 0.003 for the four start-up trials: the 1e-6 trial
// (index 2) reaches ASHA's first rung after a trial that learned, so it is pruned whatever
// the order of the others; trial 4 is chosen by tpe when it is launched.
before(() => {
  fs.writeFileSync(experiment, `
name: search-test
dataset:
  format: icpr2012
  root: ${path.join(work, 'data')}
  synthetic: { kind: patterns, n: 72, seed: 3 }
  image: { size: 16, mask: true }
  split: { kind: predefined, valFraction: 0.2 }
  cache: { dir: ${path.join(work, 'cache')} }
model: { backbone: small-cnn, width: 0.5 }
train: { epochs: 3, batchSize: 16, lr: 0.003, checkpoint: false }
sweep:
  method: tpe
  trials: 5
  seed: 6
  tpe: { startup: 4 }
  train.lr: [0.000001, 0.003, 0.004]
  train.labelSmoothing: { uniform: [0, 0.1] }
  prune: { method: asha, minEpochs: 1, reductionFactor: 2, metric: val/loss }
tracking: { experiment: search-test }
`);
  spawnSync(process.execPath, ['--import', 'tsx', '-e', `require(${JSON.stringify(path.join(root, 'src/data/ensure-synthetic.ts'))}).ensureSynthetic({ root: ${JSON.stringify(path.join(work, 'data'))}, synthetic: { kind: 'patterns', n: 72, seed: 3 } })`], { cwd: root });
});

function run(args: string[]): Promise<{ code: number | null; summary: Record<string, any>; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, experiment, '--json', ...args], {
    cwd: root, env: { ...process.env, CELLAB_PROGRESS: '0' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '', err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  return new Promise((resolve) => child.on('close', (code) => {
    let summary: Record<string, any> = {};
    try { summary = JSON.parse(out.trim().split('\n').pop()!); } catch { /* reported by the assertions */ }
    resolve({ code, summary, err });
  }));
}

async function children(store: string): Promise<RunRecord[]> {
  const t = await openTracking({ uri: store, log: () => undefined });
  const id = await t.getOrCreateExperiment('search-test');
  const all = await t.searchRuns({ experimentIds: [id], maxResults: 1000 });
  await t.close();
  return all.filter((r) => r.tags['cellab.sweep_role'] !== 'parent');
}

/** Each trial index ran to an end exactly once, with its own params. */
function assertOnce(runs: RunRecord[], n: number, what: string) {
  const listing = runs.map((r) => `${r.tags['cellab.trial_index']}:${r.info.status}:${r.tags['cellab.outcome']}`).join(' ');
  assert.deepEqual(runs.map((r) => Number(r.tags['cellab.trial_index'])).sort(), Array.from({ length: n }, (_, i) => i), `${what}: ${listing}`);
  assert.equal(new Set(runs.map((r) => r.tags['cellab.trial_params'])).size, n, `${what}: distinct params`);
  assert.equal(new Set(runs.map((r) => r.tags['cellab.config_hash'])).size, n, `${what}: distinct config hashes`);
}

test('tpe + ASHA with --parallel 2: every trial once, the pruned one reported pruned in --json, MLflow and the notebook table', { timeout: 300_000 }, async () => {
  const store = path.join(work, 'parallel');
  const r = await run(['--parallel', '2', '--tracking-uri', store]);
  assert.equal(r.code, 0, `pruned trials are not failures\n${r.err.slice(-3000)}`);
  const t = r.summary.trials;
  assert.equal(t.total, 5);
  assert.ok(t.pruned >= 1 && t.finished >= 1 && t.failed === 0 && t.finished + t.pruned + t.diverged === 5, JSON.stringify(t));
  assert.deepEqual(r.summary.search, { method: 'tpe', seed: 6, configurations: 5 });
  assert.match(r.err, /trial 4: tpe chose from [2-4] finished configuration\(s\)/);

  const runs = await children(store);
  assertOnce(runs, 5, 'parallel');
  const pruned = runs.filter((x) => x.tags['cellab.outcome'] === 'pruned');
  assert.equal(pruned.length, t.pruned);
  assert.ok(pruned.some((x) => x.tags['cellab.trial_index'] === '2'), 'the 1e-6 trial was pruned');
  for (const p of pruned) {
    assert.equal(p.info.status, 'KILLED');
    assert.match(p.tags['cellab.outcome_reason'], /^ASHA rung \d \(epoch \d\): best val\/loss so far [\d.]+ is not in the top \d+ of the \d+ trial\(s\) at this rung/);
    assert.ok(Object.keys(p.metrics).every((k) => !k.startsWith('test/')), 'a pruned trial is not evaluated on test');
    assert.ok(p.metrics['prune/rung_0'] !== undefined, 'its rung value is recorded');
  }
  // The best is never a pruned trial.
  assert.ok(!pruned.some((p) => p.info.runId === r.summary.best.run_id));
  // The tpe trial ran in a worker with the params the sweep chose.
  const chosen = runs.find((x) => x.tags['cellab.trial_index'] === '4')!;
  const params = JSON.parse(chosen.tags['cellab.trial_params']);
  assert.equal(Number(chosen.params['train.lr']), params['train.lr']);
  assert.equal(Number(chosen.params['train.labelSmoothing']), params['train.labelSmoothing']);

  // The notebook: --resume finds every trial done, runs nothing, and its table says pruned.
  const result = await fromFile(experiment).run({ resume: true, trackingUri: store, progress: 'off' });
  const rows = result.tableRows();
  assert.equal(rows.length, 5);
  assert.deepEqual(rows.filter((x) => x.outcome === 'pruned').map((x) => x.trial).sort(), pruned.map((p) => Number(p.tags['cellab.trial_index'])).sort());
  assert.ok(rows.every((x) => typeof x['train.lr'] === 'number'), 'the tpe trial shows its chosen params');
  assert.equal((result.summary as { trials: { skipped: number } }).trials.skipped, 5);
  const spec = await result.plots.search();
  assert.equal((spec.vconcat as unknown[]).length >= 2, true);
});

test('two shards run one tpe search without duplicate trials, a pruned trial included', { timeout: 300_000 }, async () => {
  const store = path.join(work, 'shards');
  const [a, b] = await Promise.all([
    run(['--parallel', '1', '--tracking-uri', store, '--shard', '0/2', '--sweep-id', 'one-search']),
    run(['--parallel', '1', '--tracking-uri', store, '--shard', '1/2', '--sweep-id', 'one-search']),
  ]);
  for (const s of [a, b]) {
    assert.equal(s.code, 0, s.err.slice(-3000));
    const t = s.summary.trials;
    assert.equal(t.total, 5);
    assert.equal(t.failed, 0);
    assert.equal(t.finished + t.pruned + t.diverged + t.running, 5, JSON.stringify(t));
  }
  const runs = await children(store);
  assertOnce(runs, 5, 'shards');
  const byIndex = (i: number) => runs.find((x) => x.tags['cellab.trial_index'] === String(i))!;
  assert.equal(byIndex(2).tags['cellab.outcome'], 'pruned');
  assert.equal(byIndex(2).info.status, 'KILLED');
  // tpe shards by configuration: shard 0 ran configurations 0, 2 and 4.
  assert.match(a.err, /shard 0\/2 runs 3/);
  assert.match(a.err, /trial 4: (tpe chose|drawn at random)/);
});

test('a budget stops launching trials; --resume with a larger budget continues without repeating any', { timeout: 300_000 }, async () => {
  const store = path.join(work, 'budget');
  // Seed 8 draws learning rates that all train; no pruning here.
  const base = ['--parallel', '1', '--tracking-uri', store, '--set', 'sweep.seed=8', '--set', 'sweep.prune=false', '--set', 'sweep.trials=3'];
  const first = await run([...base, '--set', 'sweep.budget.trials=2']);
  assert.equal(first.code, 0, first.err.slice(-3000));
  assert.deepEqual(first.summary.budget, { trials: 2, stopped_by: 'budget.trials: 2 trial(s) started', not_started: 1 });
  assert.equal(first.summary.trials.finished, 2);
  assert.equal(first.summary.trials.running, 0, 'a trial the budget left is not running');
  assert.equal(first.summary.status, 'FINISHED');
  assert.match(first.err, /budget.trials: 2 trial\(s\) started: no new trials started; 1 of this process's trial\(s\) left for --resume/);
  const t = await openTracking({ uri: store, log: () => undefined });
  assert.equal((await t.getRun(first.summary.run_id)).tags['cellab.stopped_by'], 'budget.trials: 2 trial(s) started');
  await t.close();

  const again = await run([...base, '--set', 'sweep.budget.trials=3', '--resume']);
  assert.equal(again.code, 0, again.err.slice(-3000));
  assert.equal(again.summary.run_id, first.summary.run_id, 'the same search, continued under its parent');
  assert.equal(again.summary.trials.skipped, 2);
  assert.equal(again.summary.trials.finished, 3);
  assert.equal(again.summary.budget.stopped_by, null);
  assertOnce(await children(store), 3, 'budget + resume');
});
