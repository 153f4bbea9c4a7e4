// Training through the kernel pool, as users run it: the compiled build
// (dist/, what bin/ and the notebooks load) trains a tiny ResNet-18 through
// fit() on 2 wasm threads with cellab's SIMD kernels running on the pool's
// worker, finishes (a hang is reported as a failure, not waited out), lands
// on the same weights as 1 thread, lets the process end by itself, and a
// SIGTERM mid-epoch ends the run at the next step. Each run is its own
// process (a backend's thread count is fixed when it starts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const CHILD = path.join(__dirname, 'fixtures', 'fit-threads-child.ts');
/** Per child; a few seconds on an idle machine, so this only trips on a hang (or a machine ~20x overloaded). */
const LIMIT_MS = 150_000;

/** dist/ must be built from the current src/ (npm test builds it first). */
function checkDistFresh(): void {
  const stale: string[] = [];
  for (const dir of ['engine', 'train', 'models', 'data', 'tracking']) {
    for (const f of fs.readdirSync(path.join(root, 'src', dir))) {
      if (!f.endsWith('.ts')) continue;
      const js = path.join(root, 'dist', dir, f.replace(/\.ts$/, '.js'));
      if (!fs.existsSync(js) || fs.statSync(js).mtimeMs < fs.statSync(path.join(root, 'src', dir, f)).mtimeMs) stale.push(`src/${dir}/${f}`);
    }
  }
  assert.deepEqual(stale, [], `dist/ is missing or older than ${stale.slice(0, 3).join(', ')}: run \`npm run build\` (npm test does)`);
}

function child(threads: number, mode: 'fit' | 'sigterm', env: NodeJS.ProcessEnv = {}) {
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD, 'dist', String(threads), mode], {
    encoding: 'utf8', timeout: LIMIT_MS, killSignal: 'SIGKILL',
    env: { ...process.env, CELLAB_PROGRESS: '0', ...env },
  });
  assert.equal(r.signal, null,
    `${mode} at ${threads} thread(s) did not finish within ${LIMIT_MS / 1000} s (a hang in training, or workers keeping the process alive); stderr:\n${r.stderr}`);
  return { ...r, seconds: (Date.now() - started) / 1000 };
}

interface FitResult {
  detail: string; threads: number; pool: { workers: number; workerChunks: number }; outcome: string;
  losses: number[]; weightsSha256: string; sums: number[];
}

function fitIn(threads: number, env: NodeJS.ProcessEnv = {}): FitResult {
  const r = child(threads, 'fit', env);
  assert.equal(r.status, 0, `fit at ${threads} thread(s) failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as FitResult;
}

test('a tiny ResNet-18 trains through fit() on 2 threads with the SIMD kernels on the pool\'s worker, and gives 1 thread\'s weights', { timeout: 3 * LIMIT_MS }, () => {
  checkDistFresh();
  const two = fitIn(2);
  assert.equal(two.threads, 2, two.detail);
  assert.match(two.detail, /wasm simd, 2 threads/);
  assert.doesNotMatch(two.detail, /SIMD kernels/, 'no fallback of cellab\'s kernels is reported');
  assert.equal(two.pool.workers, 1);
  assert.ok(two.pool.workerChunks > 0, 'the worker ran none of the kernels\' chunks');
  assert.equal(two.outcome, 'completed');
  assert.equal(two.losses.length, 2);
  for (const l of two.losses) assert.ok(Number.isFinite(l), `losses ${two.losses}`);
  const one = fitIn(1);
  assert.equal(one.threads, 1, one.detail);
  assert.equal(one.pool.workerChunks, 0);
  // Chunks cut the same work the same way whoever runs them, and reductions add per-block partials in block order.
  assert.deepEqual(two.losses, one.losses);
  assert.equal(two.weightsSha256, one.weightsSha256, `weights differ between 1 and 2 threads; sums per tensor:\n${one.sums}\n${two.sums}`);
});

test('with XNNPACK\'s operators on 1 of 2 threads (CELLAB_XNNPACK_THREADS=1), cellab\'s kernels still use both and the weights are 1 thread\'s', { timeout: 3 * LIMIT_MS }, () => {
  checkDistFresh();
  const split = fitIn(2, { CELLAB_XNNPACK_THREADS: '1' });
  assert.equal(split.threads, 2, split.detail);
  assert.match(split.detail, /wasm simd, 2 threads \(XNNPACK operators on 1\)/);
  assert.equal(split.pool.workers, 1);
  assert.ok(split.pool.workerChunks > 0, 'the kernel pool\'s worker ran nothing');
  const one = fitIn(1);
  assert.deepEqual(split.losses, one.losses);
  assert.equal(split.weightsSha256, one.weightsSha256, 'weights differ from 1 thread\'s');
});

test('SIGTERM during an epoch on 2 threads: the run ends at the next step and the process exits 143', { timeout: LIMIT_MS + 10_000 }, () => {
  checkDistFresh();
  const r = child(2, 'sigterm');
  assert.equal(r.status, 143, `exit ${r.status}; stdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  // Sent at batch 2 of 20: handled between steps, not at the epoch's end.
  const at = Number(/kill hook at batch (\d+)/.exec(r.stdout)?.[1]);
  assert.ok(at >= 2 && at <= 4, `the kill hook ran at batch ${at} (sent at batch 2): ${r.stdout}`);
  assert.match(r.stdout, /ended KILLED/);
  assert.doesNotMatch(r.stdout, /fit returned/);
});
