// Sweeps end to end, as separate run-experiment processes on one local store:
// concurrent shards end under one parent; a SIGKILLed sweep resumes with only
// the missing trials.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { tinySweep } from './tiny-sweep';
import { openTracking } from '../../src/tracking/index';
import type { RunRecord } from '../../src/tracking/types';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'src', 'cli', 'run-experiment.ts');
let work: string;
let experiment: string;

before(async () => {
  ({ work, experiment } = await tinySweep('sweep', 'train.lr: [0.001, 0.002, 0.003, 0.004]'));
  const r = spawnSync(process.execPath, ['--import', 'tsx', cli, experiment, '--dry-run'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

function launch(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', cli, experiment, '--parallel', '1', '--json', ...args], {
    cwd: root, env: { ...process.env, CELLAB_PROGRESS: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function finished(child: ChildProcess): Promise<{ code: number | null; out: string; err: string }> {
  let out = '', err = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { err += d; });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}

async function runs(store: string): Promise<RunRecord[]> {
  const t = await openTracking({ uri: store, log: () => undefined });
  const id = await t.getOrCreateExperiment('sweep-test');
  const all = await t.searchRuns({ experimentIds: [id], maxResults: 1000 });
  await t.close();
  return all;
}

const isParent = (r: RunRecord) => r.tags['cellab.sweep_role'] === 'parent';

test('two shards started together both exit 0, finish the same 4 trials as one unsharded run, under one parent', { timeout: 300_000 }, async () => {
  const single = path.join(work, 'single');
  const one = await finished(launch(['--tracking-uri', single]));
  assert.equal(one.code, 0, one.err);
  const shardStore = path.join(work, 'sharded');
  const [a, b] = await Promise.all([
    finished(launch(['--tracking-uri', shardStore, '--shard', '0/2', '--sweep-id', 'same-sweep'])),
    finished(launch(['--tracking-uri', shardStore, '--shard', '1/2', '--sweep-id', 'same-sweep'])),
  ]);
  // Each shard judges by its own trials: the other shard's trials, still running, are not failures.
  for (const s of [a, b]) {
    assert.equal(s.code, 0, s.err);
    const summary = JSON.parse(s.out.trim().split('\n').pop()!);
    assert.equal(summary.trials.failed, 0, JSON.stringify(summary.trials));
    assert.equal(summary.trials.total, 4);
    assert.equal(summary.trials.finished + summary.trials.running, 4, JSON.stringify(summary.trials));
  }
  const sharded = await runs(shardStore);
  const parents = sharded.filter(isParent);
  assert.equal(parents.length, 1, `visible parents: ${parents.map((p) => p.info.runId).join(', ')}`);
  const children = sharded.filter((r) => !isParent(r));
  assert.ok(children.every((c) => c.tags['mlflow.parentRunId'] === parents[0].info.runId), 'every child under the one parent');
  assert.deepEqual(children.map((c) => `${c.info.status}/${c.tags['cellab.outcome']}`), Array(4).fill('FINISHED/completed'));
  const hashes = (rs: RunRecord[]) => rs.filter((r) => !isParent(r)).map((r) => r.tags['cellab.config_hash']).sort();
  assert.deepEqual(hashes(sharded), hashes(await runs(single)));
  assert.equal(new Set(hashes(sharded)).size, 4);
  assert.equal(parents[0].info.status, 'FINISHED', 'the shard that sees every trial ended ends the parent');
  assert.equal(parents[0].tags['cellab.outcome'], 'completed');
});

test('--help says shards are 0-based', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', cli, '--help'], { cwd: root, encoding: 'utf8' });
  assert.match(r.stdout.replace(/\s+/g, ' '), /i\/n with i 0-based/);
});

test('a sweep killed with SIGKILL and re-run with --resume runs only the missing trials', { timeout: 300_000 }, async () => {
  const store = path.join(work, 'resume');
  // Trials long enough (more epochs) that the kill lands inside one, however fast training gets.
  const longer = ['--set', 'train.epochs=12'];
  const child = launch(['--tracking-uri', store, ...longer]);
  const done = finished(child);
  // Kill it once two trials have ended.
  for (;;) {
    await new Promise((r) => setTimeout(r, 100));
    const ended = fs.existsSync(store) ? (await runs(store)).filter((r) => !isParent(r) && r.info.status !== 'RUNNING') : [];
    if (ended.length >= 2) break;
  }
  child.kill('SIGKILL');
  await done;
  const before = (await runs(store)).filter((r) => !isParent(r));
  const endedBefore = before.filter((r) => r.info.status !== 'RUNNING');
  assert.ok(endedBefore.length >= 2 && endedBefore.length < 4, `ended before the kill: ${endedBefore.length}`);
  const again = await finished(launch(['--tracking-uri', store, '--resume', ...longer]));
  assert.ok(again.code === 0 || again.code === 2, again.err);
  const after = (await runs(store)).filter((r) => !isParent(r));
  const ended = after.filter((r) => r.info.status !== 'RUNNING' && r.info.status !== 'KILLED');
  // Each trial ran to an end exactly once; the killed one was run again.
  assert.deepEqual(ended.map((r) => r.tags['cellab.trial_index']).sort(), ['0', '1', '2', '3'],
    `before: ${before.map((r) => `${r.tags['cellab.trial_index']}:${r.info.status}`).join(' ')}; after: ${after.map((r) => `${r.tags['cellab.trial_index']}:${r.info.status}:${r.tags['cellab.outcome']}`).join(' ')}\n${again.err.slice(-1500)}`);
  for (const r of endedBefore) assert.ok(ended.some((e) => e.info.runId === r.info.runId), 'finished trials were not re-run');
  const summary = JSON.parse(again.out.trim().split('\n').pop()!);
  assert.equal(summary.trials.total, 4);
  assert.equal(summary.trials.skipped, endedBefore.length);
  assert.equal((await runs(store)).filter(isParent).length, 1, 'the resumed sweep reuses its parent');
  assert.deepEqual(after.filter((r) => r.info.status === 'RUNNING'), [], 'the run killed mid-trial is marked KILLED, not left RUNNING');
  for (const r of before.filter((b) => b.info.status === 'RUNNING')) {
    const now = after.find((a) => a.info.runId === r.info.runId)!;
    assert.equal(now.info.status, 'KILLED');
    assert.equal(now.tags['cellab.outcome'], 'interrupted');
  }
});
