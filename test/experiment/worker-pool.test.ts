// Trial workers (--parallel): one process runs trial after trial, each with the
// numbers it would have in a fresh process; a worker that dies takes only the
// trial it was running.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openTracking, type Tracking } from '../../src/tracking/index';
import { ensureSynthetic } from '../../src/data/ensure-synthetic';
import { TrialWorker } from '../../src/experiment/worker-pool';

const root = path.resolve(__dirname, '..', '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-workers-'));
const experiment = path.join(work, 'workers.yaml');
const store = path.join(work, 'store');

before(async () => {
  fs.writeFileSync(experiment, `
name: worker-test
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
  train.lr: [0.003, 0.004]
tracking: { experiment: worker-test, errorAnalysis: false }
`);
  await ensureSynthetic({ root: path.join(work, 'data'), synthetic: { kind: 'patterns', n: 72, seed: 3 } } as never, () => undefined);
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
  // Trial 1 again, first in a new worker: the same numbers, bit for bit.
  const b = worker();
  const fresh = await b.run({ trial: 1 });
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
