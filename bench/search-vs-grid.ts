// Issue 20's done-when: on the synthetic patterns set, the grid of 16 in
// bench/search-vs-grid.yaml against its `search` profile (tpe + ASHA, 16 trials),
// each one run of the real CLI (compiled: bin/run-experiment.js; `npm run build` first) into a
// throwaway store with the default workers.
// Prints, per run: wall time, best validation accuracy (what selection reads),
// and for the search the time from its start until a completed trial first
// matched the grid's best. Not part of `npm run bench` (it takes tens of minutes).
//   node --import tsx bench/search-vs-grid.ts [--json]
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openTracking } from '../src/tracking/index';

const ROOT = path.join(__dirname, '..');
const FILE = path.join(__dirname, 'search-vs-grid.yaml');
const CLI = path.join(ROOT, 'bin', 'run-experiment.js');

function run(store: string, extra: string[]): { seconds: number; summary: Record<string, any> } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, FILE, '--tracking-uri', store, '--json', ...extra],
    { cwd: ROOT, env: { ...process.env, CELLAB_PROGRESS: '0' }, encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = (performance.now() - t0) / 1000;
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 && r.status !== 2) throw new Error(`run-experiment ${extra.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return { seconds, summary: JSON.parse(last) };
}

async function main() {
  const json = process.argv.includes('--json');
  // Generate the data and fill the cache first, so neither timed run pays for it.
  spawnSync(process.execPath, [CLI, FILE, '--set', 'train.epochs=1',
    '--set', 'sweep.model.backbone=null', '--set', 'sweep.train.lr=null', '--set', 'sweep.train.labelSmoothing=null',
    '--tracking-uri', mkdtempSync(path.join(os.tmpdir(), 'cellab-warm-'))], { cwd: ROOT, env: { ...process.env, CELLAB_PROGRESS: '0' }, stdio: 'inherit' });
  const gridStore = mkdtempSync(path.join(os.tmpdir(), 'cellab-grid-'));
  const grid = run(gridStore, []);
  const searchStore = mkdtempSync(path.join(os.tmpdir(), 'cellab-search-'));
  const search = run(searchStore, ['--profile', 'search']);
  const gridBest = grid.summary.best?.selection?.value as number;
  // When did the search first match the grid's best? End time of its first such completed trial.
  const t = await openTracking({ uri: searchStore, log: () => undefined });
  const parent = await t.getRun(search.summary.run_id);
  const runs = await t.searchRuns({ experimentIds: [search.summary.experiment_id], maxResults: 1000 });
  const hits = runs.filter((r) => r.tags['cellab.outcome'] === 'completed' && r.metrics['val/best_accuracy'] >= gridBest - 1e-12)
    .map((r) => ((r.info.endTime ?? 0) - parent.info.startTime) / 1000).sort((a, b) => a - b);
  await t.close();
  const row = {
    bench: 'search-vs-grid', cores: os.cpus().length, load_before: os.loadavg()[0],
    grid: { seconds: Math.round(grid.seconds), best_val_accuracy: gridBest, best: grid.summary.best?.params, trials: grid.summary.trials },
    search: { seconds: Math.round(search.seconds), best_val_accuracy: search.summary.best?.selection?.value, best: search.summary.best?.params, trials: search.summary.trials,
      seconds_to_grid_best: hits.length ? Math.round(hits[0]) : null },
  };
  process.stdout.write(json ? JSON.stringify(row) + '\n' : JSON.stringify(row, null, 2) + '\n');
}

main().catch((err) => { process.stderr.write(`${err.stack ?? err}\n`); process.exitCode = 1; });
