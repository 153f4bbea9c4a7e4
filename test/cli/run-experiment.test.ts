// The command line as a user types it: bin/run-experiment.js (compiled, as `npm start` runs it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { expectedAutoBackend, missingNative, nativePackage } from '../engine/loadable';
import { probeCounter, webgpuInstalled } from '../engine/probe-counter';

const root = path.resolve(__dirname, '..', '..');
const bin = path.join(root, 'bin', 'run-experiment.js');
const store = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-cli-'));

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, CELLAB_PROGRESS: '0', ...env } });
}
const lastJson = (out: string) => JSON.parse(out.trim().split('\n').pop()!);

test('--help prints usage and the exit codes', () => {
  const r = run(['--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout, /run-experiment FILE/);
  assert.match(r.stdout, /--set/);
  assert.match(r.stdout, /Exit codes: 0 all completed; 2/);
});

const missing = missingNative();
test('a forced backend that cannot load exits 1 naming the package',
  { skip: missing ? false : 'both @tensorflow/tfjs-node and @tensorflow/tfjs-node-gpu load here: no missing backend to force' }, () => {
    const r = run(['experiments/quickstart.yaml', '--profile', 'smoke'], { CELLAB_BACKEND: missing! });
    assert.equal(r.status, 1);
    assert.ok(r.stderr.includes(`${nativePackage(missing!)} `), r.stderr);
    assert.match(r.stderr, /not installed|did not load|CUDA libraries/);
  });

test('bad config exits 1 before anything runs, naming the key', () => {
  const r = run(['experiments/quickstart.yaml', '--set', 'train.epoch=2', '--json', '--tracking-uri', store]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--set train.epoch: unknown key. Did you mean `train.epochs`\?/);
  assert.equal(lastJson(r.stdout).status, 'FAILED');
});

test('--json: a completed run and a diverged one (exit 2), with the summary keys of the conventions', { timeout: 300_000 }, () => {
  const ok = run(['experiments/quickstart.yaml', '--profile', 'smoke', '--json', '--tracking-uri', store]);
  assert.equal(ok.status, 0, ok.stderr);
  const s = lastJson(ok.stdout);
  assert.deepEqual(Object.keys(s).sort(), ['backend', 'device', 'experiment_id', 'metrics', 'outcome', 'run_id', 'status', 'tracking_uri']);
  assert.equal(s.status, 'FINISHED');
  assert.equal(s.outcome, 'completed');
  assert.equal(s.backend, expectedAutoBackend()); // the documented order, given what loads here
  for (const k of ['accuracy', 'average_class_accuracy', 'balanced_accuracy', 'macro_f1', 'auc']) assert.equal(typeof s.metrics[k], 'number', k);
  assert.ok(fs.existsSync(path.join(store, s.experiment_id, s.run_id, 'artifacts', 'predictions.csv')));
  const bad = run(['experiments/quickstart.yaml', '--profile', 'smoke', '--set', 'train.lr=10', '--json', '--tracking-uri', store]);
  assert.equal(bad.status, 2, bad.stderr);
  const d = lastJson(bad.stdout);
  assert.equal(d.outcome, 'diverged');
  assert.equal(d.status, 'FAILED');
  assert.match(d.reason, /learning rate 10/);
});

test('a --parallel 2 sweep asks Dawn for an adapter once: the workers get the answer of the probe run-experiment started first', { timeout: 300_000 }, () => {
  const probes = probeCounter();
  const r = run(['experiments/quickstart.yaml', '--profile', 'smoke', '--set', 'train.epochs=1', '--set', 'sweep.train.lr=[0.003,0.0015]', '--parallel', '2', '--json', '--tracking-uri', store],
    { ...probes.env, CELLAB_BACKEND: '', CELLAB_WEBGPU_PROBE: '', CELLAB_TIMING: '1' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(lastJson(r.stdout).trials.finished, 2);
  // Before: the parent and each worker probed (3); without the optional packages nobody does.
  assert.equal(probes.pids().length, webgpuInstalled() ? 1 : 0, r.stderr);
  const parent = /pid (\d+) .* sweep: 2 workers spawned/.exec(r.stderr)?.[1];
  const started = [...r.stderr.matchAll(/pid (\d+) .* webgpu probe: started/g)].map((m) => m[1]);
  assert.deepEqual(started, webgpuInstalled() ? [parent] : [], 'the parent probed, before its workers were spawned');
});
