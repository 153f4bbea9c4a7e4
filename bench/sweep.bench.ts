// Sweep throughput: the quickstart with an N-trial learning-rate sweep (N =
// workers), through the real CLI (bin/run-experiment.js, compiled JS) into a
// throwaway file store, three ways:
//   - `--parallel N`: one single-threaded worker process per core (the default);
//   - `--parallel 1` with one wasm thread: the same trials one after the other;
//   - `--parallel 1` with its default threads (one per core): what a user
//     would otherwise run.
// Row: {bench: 'sweep', trials, workers, epochs, parallel_s, sequential_s,
// sequential_threaded_s, ratio, ratio_threaded} with ratio = parallel_s /
// sequential_s (equal threads per trial; issue target on 2 cores: <= 0.55)
// and ratio_threaded = parallel_s / sequential_threaded_s.
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

function runSweep(store: string, epochs: number, parallel: number, lrs: number[], threads?: number): number {
  const args = [CLI, EXPERIMENT, '--set', `train.epochs=${epochs}`, '--set', `sweep.train.lr=[${lrs.join(',')}]`,
    '--parallel', String(parallel), '--tracking-uri', store, '--json'];
  const env = { ...process.env, CELLAB_PROGRESS: '0' };
  // Unset: each mode picks its own thread count (cores / workers).
  if (threads) (env as NodeJS.ProcessEnv).CELLAB_WASM_THREADS = String(threads);
  else delete (env as NodeJS.ProcessEnv).CELLAB_WASM_THREADS;
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
    const sequential = runSweep(store, epochs, 1, lrs, 1);
    const threaded = runSweep(store, epochs, 1, lrs);
    const parallel = runSweep(store, epochs, workers, lrs);
    const r1 = (v: number) => Math.round(v * 10) / 10, r2 = (v: number) => Math.round(v * 100) / 100;
    const row = { bench: 'sweep', trials: lrs.length, workers, epochs, parallel_s: r1(parallel), sequential_s: r1(sequential),
      sequential_threaded_s: r1(threaded), ratio: r2(parallel / sequential), ratio_threaded: r2(parallel / threaded) };
    if (!o.json) {
      console.log(`sweep of ${row.trials} quickstart trials x ${epochs} epochs: --parallel ${workers} ${row.parallel_s} s; ` +
        `--parallel 1 at 1 thread ${row.sequential_s} s (ratio ${row.ratio}); --parallel 1 at ${os.availableParallelism?.() ?? os.cpus().length} threads ${row.sequential_threaded_s} s (ratio ${row.ratio_threaded})`);
    }
    return [row];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) sweepBench({ json: process.argv.includes('--json') }).then((rows) => console.log(JSON.stringify({ results: rows })));
