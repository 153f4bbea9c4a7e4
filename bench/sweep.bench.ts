// Sweep throughput: the quickstart with a 2-trial learning-rate sweep, run
// with `--parallel 1` (one trial after the other, each using every core as
// wasm threads) and with `--parallel N` (one single-threaded worker per
// core), through the real CLI (bin/run-experiment.js, compiled JS) into a
// throwaway file store. Row: {bench: 'sweep', trials, workers, epochs,
// sequential_s, parallel_s, ratio} with ratio = parallel_s / sequential_s
// (issue target on 2 cores: <= 0.55).
//
// A first short run generates the synthetic data and fills the data cache,
// so that neither timed run pays for it. Environment: BENCH_SWEEP_EPOCHS
// (epochs per trial, default 4), BENCH_SWEEP_WORKERS (default: cores).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..');
const CLI = path.join(ROOT, 'bin', 'run-experiment.js');
const EXPERIMENT = path.join(ROOT, 'experiments', 'quickstart.yaml');

function runSweep(store: string, epochs: number, parallel: number, lrs: number[]): number {
  const args = [CLI, EXPERIMENT, '--set', `train.epochs=${epochs}`, '--set', `sweep.train.lr=[${lrs.join(',')}]`,
    '--parallel', String(parallel), '--tracking-uri', store, '--json'];
  const env = { ...process.env, CELLAB_PROGRESS: '0' };
  delete (env as NodeJS.ProcessEnv).CELLAB_WASM_THREADS;   // each mode picks its own thread count (cores / workers)
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: ROOT, env, encoding: 'utf8' });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`run-experiment --parallel ${parallel} exited ${r.status}: ${(r.stderr || r.stdout).slice(-2000)}`);
  return seconds;
}

export default async function sweepBench(o: { json: boolean }): Promise<Record<string, unknown>[]> {
  const cores = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  const workers = Number(process.env.BENCH_SWEEP_WORKERS ?? cores);
  const epochs = Number(process.env.BENCH_SWEEP_EPOCHS ?? 4);
  const lrs = Array.from({ length: workers }, (_, i) => Number((0.003 / (i + 1)).toPrecision(3)));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cellab-bench-sweep-'));
  try {
    const store = path.join(dir, 'mlruns');
    runSweep(store, 1, 1, [0.003]);                           // data + cache, not timed
    const sequential = runSweep(store, epochs, 1, lrs);
    const parallel = runSweep(store, epochs, workers, lrs);
    const row = { bench: 'sweep', trials: lrs.length, workers, epochs, sequential_s: Math.round(sequential * 10) / 10,
      parallel_s: Math.round(parallel * 10) / 10, ratio: Math.round((parallel / sequential) * 100) / 100 };
    if (!o.json) {
      console.log(`sweep of ${row.trials} quickstart trials x ${epochs} epochs: --parallel 1 ${row.sequential_s} s, --parallel ${workers} ${row.parallel_s} s, ratio ${row.ratio}`);
    }
    return [row];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) sweepBench({ json: process.argv.includes('--json') }).then((rows) => console.log(JSON.stringify({ results: rows })));
