// Issue 20's done-when: on the synthetic patterns set, the grid of 16 in
// bench/search-vs-grid.yaml against its `search` profile (tpe + Hyperband pruning, 16 trials),
// each one run of the real CLI (compiled: bin/run-experiment.js; `npm run build` first) into a
// throwaway store with the default workers. Both runs are in one invocation, one after the
// other: the machine's load average (1 min) is printed before and after each.
// Prints, per run: wall time, best validation accuracy (what selection reads), epochs
// trained (all trials), and the time from the sweep's start until a completed trial first
// reached the grid's best: strictly (`seconds_to_grid_best`), and within the grid's own
// noise (`seconds_to_grid_best_within_noise`: one binomial standard error of the grid's best
// accuracy on the validation set, sqrt(p(1-p)/n_val); with ~100 validation images one image
// is ~0.01, so the strict number compares single images). `val_images` is that n.
// `cpu_seconds` (user + system of the run and its workers) is less sensitive than wall time to
// the load other processes put on a shared machine. `--also key=value` (repeatable) adds a
// third run: the search profile with those overrides (e.g. `--also sweep.prune.minEpochs=3`).
// Not part of `npm run bench` (it takes tens of minutes).
//   node --import tsx bench/search-vs-grid.ts [--json] [--also key=value ...]
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openTracking } from '../src/tracking/index';
import { loadExperimentFile } from '../src/experiment/config';
import { prepareData } from '../src/experiment/trial';

const ROOT = path.join(__dirname, '..');
const FILE = path.join(__dirname, 'search-vs-grid.yaml');
const CLI = path.join(ROOT, 'bin', 'run-experiment.js');
const load = () => Number(os.loadavg()[0].toFixed(2));

function run(store: string, extra: string[]) {
  const loadBefore = load();
  const t0 = performance.now();
  // bash's `times` prints the CPU time of its children (the CLI and the workers it waited for) last.
  const r = spawnSync('bash', ['-c', '"$0" "$@"; s=$?; times >&2; exit $s', process.execPath, CLI, FILE, '--tracking-uri', store, '--json', ...extra],
    { cwd: ROOT, env: { ...process.env, CELLAB_PROGRESS: '0' }, encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = (performance.now() - t0) / 1000;
  const last = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 && r.status !== 2) throw new Error(`run-experiment ${extra.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  const m = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s\s*$/.exec(r.stderr);
  const cpu = m ? Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]) : null;
  return { seconds, cpu, summary: JSON.parse(last) as Record<string, any>, store, load: { before: loadBefore, after: load() } };
}

/** Per completed trial: its best val accuracy and when it ended (s from the sweep's start); epochs trained by all trials. */
async function trials(r: ReturnType<typeof run>) {
  const t = await openTracking({ uri: r.store, log: () => undefined });
  try {
    const parent = await t.getRun(r.summary.run_id);
    const runs = (await t.searchRuns({ experimentIds: [r.summary.experiment_id], maxResults: 1000 })).filter((x) => x.tags['cellab.sweep_role'] !== 'parent');
    let epochs = 0;
    for (const x of runs) epochs += (await t.getMetricHistory(x.info.runId, 'val/accuracy')).length;
    const completed = runs.filter((x) => x.tags['cellab.outcome'] === 'completed')
      .map((x) => ({ value: x.metrics['val/best_accuracy'], at: ((x.info.endTime ?? 0) - parent.info.startTime) / 1000 }))
      .sort((a, b) => a.at - b.at);
    return { epochs, completed, pruned: runs.filter((x) => x.tags['cellab.outcome'] === 'pruned').length };
  } finally {
    await t.close();
  }
}

const firstAt = (xs: { value: number; at: number }[], target: number) => {
  const hit = xs.find((x) => x.value >= target - 1e-12);
  return hit ? Math.round(hit.at) : null;
};

async function main() {
  const json = process.argv.includes('--json');
  const resolved = loadExperimentFile(FILE);
  const nVal = (await prepareData(resolved.config)).split.val.length;
  // Generate the data and fill the cache first, so neither timed run pays for it.
  spawnSync(process.execPath, [CLI, FILE, '--set', 'train.epochs=1',
    '--set', 'sweep.model=null', '--set', 'sweep.train.lr=null', '--set', 'sweep.train.labelSmoothing=null',
    '--tracking-uri', mkdtempSync(path.join(os.tmpdir(), 'cellab-warm-'))], { cwd: ROOT, env: { ...process.env, CELLAB_PROGRESS: '0' }, stdio: 'inherit' });
  const grid = run(mkdtempSync(path.join(os.tmpdir(), 'cellab-grid-')), []);
  const search = run(mkdtempSync(path.join(os.tmpdir(), 'cellab-search-')), ['--profile', 'search']);
  const also = process.argv.flatMap((a, i) => (process.argv[i - 1] === '--also' ? [a] : []));
  const variant = also.length ? run(mkdtempSync(path.join(os.tmpdir(), 'cellab-search-')), ['--profile', 'search', ...also.flatMap((a) => ['--set', a])]) : undefined;
  const gridBest = grid.summary.best?.selection?.value as number;
  const searchBest = search.summary.best?.selection?.value as number;
  const noise = Math.sqrt((gridBest * (1 - gridBest)) / nVal);
  const g = await trials(grid), s = await trials(search);
  const side = (r: typeof grid, tr: typeof g, best: number) => ({
    seconds: Math.round(r.seconds), cpu_seconds: r.cpu === null ? null : Math.round(r.cpu), load_before: r.load.before, load_after: r.load.after,
    best_val_accuracy: best, best_val_images: Math.round(best * nVal), best: r.summary.best?.params, trials: r.summary.trials, epochs_trained: tr.epochs,
    seconds_to_grid_best: firstAt(tr.completed, gridBest), seconds_to_grid_best_within_noise: firstAt(tr.completed, gridBest - noise),
  });
  const row = {
    bench: 'search-vs-grid', cores: os.cpus().length, val_images: nVal, grid_best_standard_error: Number(noise.toFixed(4)),
    grid: side(grid, g, gridBest), search: side(search, s, searchBest),
    ratio_wall: Number((search.seconds / grid.seconds).toFixed(3)),
    ratio_cpu: search.cpu && grid.cpu ? Number((search.cpu / grid.cpu).toFixed(3)) : null,
    matched_strict: searchBest >= gridBest - 1e-12, matched_within_noise: searchBest >= gridBest - noise,
    ...(variant ? { search_variant: await (async () => {
      const best = variant.summary.best?.selection?.value as number;
      return { set: also, ...side(variant, await trials(variant), best), ratio_wall: Number((variant.seconds / grid.seconds).toFixed(3)),
        ratio_cpu: variant.cpu && grid.cpu ? Number((variant.cpu / grid.cpu).toFixed(3)) : null,
        matched_strict: best >= gridBest - 1e-12, matched_within_noise: best >= gridBest - noise };
    })() } : {}),
  };
  process.stdout.write(json ? JSON.stringify(row) + '\n' : JSON.stringify(row, null, 2) + '\n');
}

main().catch((err) => { process.stderr.write(`${err.stack ?? err}\n`); process.exitCode = 1; });
