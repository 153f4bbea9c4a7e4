// The error analysis of a --parallel sweep's best run is done by the worker that
// trained it (engine, modules and files warm; the parent writes its own artifacts
// meanwhile), with the same galleries as when the parent does it; if that worker
// is gone, the parent does it.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { tinySweep } from './tiny-sweep';
import { openTracking, findProjectRoot, type Tracking } from '../../src/tracking/index';
import { loadExperimentFile } from '../../src/experiment/config';
import { TrialWorker } from '../../src/experiment/worker-pool';
import { workerAnalysis } from '../../src/experiment/sweep';
import { analyseBest } from '../../src/experiment/best-run';
import { logErrorAnalysis } from '../../src/experiment/error-analysis';
import { initEngine } from '../../src/engine/backend';
import type { RunRecord } from '../../src/tracking/types';

const root = path.resolve(__dirname, '..', '..');
const cli = path.join(root, 'src', 'cli', 'run-experiment.ts');
let experiment: string;
let work: string;
// A checkpoint, so that Grad-CAM (which loads the trained network) is among the galleries.
const withCheckpoint = ['--set', 'train.checkpoint=true'];

before(async () => {
  // This process analyses too (as the sweep's parent does when the worker is gone), on the engine it would have.
  await initEngine({ threads: 1, log: () => undefined });
  ({ experiment, work } = await tinySweep('analysis', 'train.lr: [0.003, 0.001]', '{ experiment: analysis-test }'));
});

function sweep(store: string, parallel: number): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, experiment, ...withCheckpoint, '--parallel', String(parallel), '--tracking-uri', store, '--json'], {
    cwd: root, env: { ...process.env, CELLAB_PROGRESS: '0', CELLAB_WASM_THREADS: '1', CELLAB_TIMING: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '', err = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { err += d; });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out, err })));
}

const galleries = async (t: Tracking, runId: string) => (await t.listArtifacts(runId, 'plots')).map((a) => a.path)
  .filter((p) => /^plots\/(top_losses|most_confused|misclassified_.*|gradcam|samples_per_class|augmentation)\.png$/.test(p)).sort();

/** The pid that printed a CELLAB_TIMING phase line. */
function pidOf(err: string, phase: string): string[] {
  return err.split('\n').filter((l) => l.startsWith('cellab-timing ') && l.endsWith(` ${phase}`)).map((l) => l.split(' ')[3]);
}

async function children(t: Tracking, parentRunId: string): Promise<RunRecord[]> {
  const id = await t.getOrCreateExperiment('analysis-test');
  return (await t.searchRuns({ experimentIds: [id], maxResults: 100 })).filter((r) => r.tags['mlflow.parentRunId'] === parentRunId);
}

test('--parallel 2: the worker that trained the best run logs its galleries, the same as --parallel 1 logs, on the best run only', { timeout: 240_000 }, async () => {
  const store = path.join(work, 'cli-store');
  const [par, seq] = [await sweep(store, 2), await sweep(store, 1)];
  assert.equal(par.code, 0, par.err);
  assert.equal(seq.code, 0, seq.err);
  // The analysis ran in a process other than the sweep's (whose pid printed the sweep's phases).
  const parent = pidOf(par.err, 'sweep: done');
  const analyst = pidOf(par.err, 'error analysis: start');
  assert.equal(parent.length, 1);
  assert.equal(analyst.length, 1, par.err);
  assert.notEqual(analyst[0], parent[0]);
  assert.deepEqual(pidOf(seq.err, 'error analysis: start'), pidOf(seq.err, 'sweep: done'));
  const t = await openTracking({ uri: store, log: () => undefined });
  try {
    const lists: string[][] = [];
    for (const s of [JSON.parse(par.out.trim().split('\n').pop()!), JSON.parse(seq.out.trim().split('\n').pop()!)]) {
      assert.equal(s.outcome, 'completed');
      const runs = await children(t, s.run_id);
      assert.equal(runs.length, 2);
      const best = runs.find((r) => r.info.runId === s.best.run_id)!;
      const other = runs.find((r) => r.info.runId !== s.best.run_id)!;
      const logged = await galleries(t, best.info.runId);
      for (const p of ['plots/top_losses.png', 'plots/most_confused.png', 'plots/gradcam.png', 'plots/samples_per_class.png']) assert.ok(logged.includes(p), `${p} missing: ${logged.join(', ')}`);
      assert.deepEqual(await galleries(t, other.info.runId), []);
      assert.equal(best.tags['cellab.error_analysis_skipped'], undefined);
      lists.push(logged);
    }
    // The same runs (same seeds, one thread each), so the same galleries whichever process drew them.
    assert.deepEqual(lists[0], lists[1]);
  } finally {
    await t.close();
  }
});

test('the analysis comes back from a live worker with what it wrote; a worker that is gone leaves it to this process', { timeout: 240_000 }, async () => {
  const store = path.join(work, 'worker-store');
  const { config } = loadExperimentFile(experiment, { set: ['train.checkpoint=true'] });
  const projectRoot = findProjectRoot(path.dirname(experiment));
  const w = new TrialWorker({
    args: [experiment, ...withCheckpoint, '--parent-run-id', 'parent-0', '--sweep-id', 'analysis', '--tracking-uri', store],
    env: { ...process.env, CELLAB_WASM_THREADS: '1', CELLAB_PROGRESS: '0' }, cwd: root,
  });
  const first = await w.run({ trial: 0 });
  const second = await w.run({ trial: 1 });
  assert.equal(first.summary?.outcome, 'completed', first.error);
  assert.equal(second.summary?.outcome, 'completed', second.error);
  const runA = first.summary!.run_id!, runB = second.summary!.run_id!;
  const t = await openTracking({ uri: store, log: () => undefined });
  try {
    const said: string[] = [];
    const log = (l: string) => said.push(l);
    // Live: the worker draws and logs them.
    const viaWorker = await analyseBest(t, config, [runA], { projectRoot, log, elsewhere: workerAnalysis(w, log) });
    assert.ok(viaWorker.includes('plots/gradcam.png'), viaWorker.join(', '));
    assert.deepEqual([...viaWorker].sort(), await galleries(t, runA));
    assert.equal(said.length, 0, said.join('\n'));
    // What this process would have logged for the same run: the same files.
    const here = await logErrorAnalysis(t, [runA], { topLosses: 12, gradCam: 6, perClass: 8, log, cacheDir: path.join(projectRoot, '.cache', 'pretrained') });
    assert.deepEqual([...here].sort(), [...viaWorker].sort());
    // Gone: this process runs it, and says so.
    w['child'].kill('SIGKILL');
    await w.close();
    assert.equal(w.alive, false);
    assert.deepEqual(await galleries(t, runB), []);
    const fallback = await analyseBest(t, config, [runB], { projectRoot, log, elsewhere: workerAnalysis(w, log) });
    assert.ok(fallback.includes('plots/gradcam.png'), fallback.join(', '));
    assert.deepEqual([...fallback].sort(), await galleries(t, runB));
    assert.ok(said.some((l) => l.includes(`the worker that was to analyse run ${runB} is gone; analysing it here`)), said.join('\n'));
    assert.ok(!said.some((l) => / failed: /.test(l)), said.join('\n'));
  } finally {
    await t.close();
  }
});

test('an analysis that fails in the worker is logged as failed, not run again here', { timeout: 120_000 }, async () => {
  const store = path.join(work, 'fail-store');
  const { config } = loadExperimentFile(experiment);
  const w = new TrialWorker({ args: [experiment, '--parent-run-id', 'parent-0', '--sweep-id', 'analysis', '--tracking-uri', store],
    env: { ...process.env, CELLAB_WASM_THREADS: '1', CELLAB_PROGRESS: '0' }, cwd: root });
  const t = await openTracking({ uri: store, log: () => undefined });
  try {
    const said: string[] = [];
    const log = (l: string) => said.push(l);
    // No such run: the worker's logErrorAnalysis throws, and its message comes back.
    const r = await analyseBest(t, config, ['0123456789abcdef0123456789abcdef'], { projectRoot: work, log, elsewhere: workerAnalysis(w, log) });
    assert.deepEqual(r, []);
    assert.equal(said.length, 1, said.join('\n'));
    assert.match(said[0], /^cellab: error analysis of run 0123456789abcdef0123456789abcdef failed: /);
    assert.ok(w.alive);
  } finally {
    await w.close();
    await t.close();
  }
});
