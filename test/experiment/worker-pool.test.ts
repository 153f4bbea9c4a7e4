// Trial workers (--parallel): one process runs trial after trial, each with the
// numbers it would have in a fresh process; a worker that dies takes only the
// trial it was running.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { tinySweep } from './tiny-sweep';
import { openTracking, type Tracking } from '../../src/tracking/index';
import { TrialWorker } from '../../src/experiment/worker-pool';

const root = path.resolve(__dirname, '..', '..');
let experiment: string;
let store: string;
let work: string;

before(async () => {
  ({ experiment, work } = await tinySweep('worker', 'train.lr: [0.003, 0.004]', '{ experiment: worker-test, errorAnalysis: false }'));
  store = path.join(work, 'store');
});

const worker = () => new TrialWorker({
  args: [experiment, '--parent-run-id', 'parent-0', '--sweep-id', 'workers', '--tracking-uri', store],
  env: { ...process.env, CELLAB_WASM_THREADS: '1', CELLAB_PROGRESS: '0' }, cwd: root,
});

async function history(t: Tracking, runId: string): Promise<number[]> {
  return (await t.getMetricHistory(runId, 'val/loss')).map((p) => p.value);
}

test('one worker runs trial after trial, each as it would run first in a fresh worker', { timeout: 120_000 }, async () => {
  const a = worker();
  const first = await a.run({ trial: 0 });
  const second = await a.run({ trial: 1 });
  await a.close();
  assert.equal(first.error, undefined);
  assert.equal(second.error, undefined);
  assert.equal(first.summary?.outcome, 'completed');
  assert.equal(second.summary?.outcome, 'completed');
  // Trial 1 again, first in a new worker started as --parallel starts them: before the parent run
  // exists (its ids come with the trial), having loaded trial 1's data while it waited. The same
  // numbers, bit for bit.
  const b = new TrialWorker({ args: [experiment, '--tracking-uri', store, '--warm-trial', '1'],
    env: { ...process.env, CELLAB_WASM_THREADS: '1', CELLAB_PROGRESS: '0' }, cwd: root });
  await new Promise((r) => setTimeout(r, 1500));
  const fresh = await b.run({ trial: 1, parentRunId: 'parent-1', sweepId: 'workers' });
  await b.close();
  assert.notEqual(a.pid, b.pid);
  const t = await openTracking({ uri: store, log: () => undefined });
  try {
    const reused = await history(t, second.summary!.run_id!);
    assert.equal(reused.length, 3);
    assert.deepEqual(await history(t, fresh.summary!.run_id!), reused);
    const run = await t.getRun(second.summary!.run_id!);
    assert.equal(run.tags['cellab.trial_index'], '1');
    assert.equal(run.tags['mlflow.parentRunId'], 'parent-0');
    const warm = await t.getRun(fresh.summary!.run_id!);
    assert.equal(warm.tags['mlflow.parentRunId'], 'parent-1');
    assert.equal(warm.tags['cellab.sweep_id'], 'workers');
  } finally {
    await t.close();
  }
});

test('a worker that dies fails only the trial it was running, saying how it ended', { timeout: 120_000 }, async () => {
  const w = worker();
  const pending = w.run({ trial: 0 });
  w['child'].kill('SIGKILL');
  const r = await pending;
  assert.equal(r.summary, undefined);
  assert.match(r.error ?? '', /worker exited with SIGKILL/);
  // The sweep's lane sees it is gone and starts a new worker for its next trial.
  assert.equal(w.alive, false);
  assert.match((await w.run({ trial: 1 })).error ?? '', /the worker has exited/);
  await w.close();
});
