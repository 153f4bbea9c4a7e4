// cellab's kernels in their relaxed-SIMD build (f32x4.relaxed_madd: fused
// multiply-adds; loaded where the runtime has relaxed SIMD: Node 22+, or Node
// 20 with --experimental-wasm-relaxed-simd). This Node may run the plain
// build, so the checks run in child processes with relaxed SIMD switched on:
// the kernel tests pass there too (forward convolution within float rounding
// of XNNPACK, gradients, ReLU gradient, optimiser steps, zero padding, sums), and training on 2
// threads still lands on 1 thread's weights bit for bit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const LIMIT_MS = 300_000;

/** The flag that turns relaxed SIMD on here ([] where it is on by default and the flag is gone). */
function relaxedFlag(): string[] {
  const flag = '--experimental-wasm-relaxed-simd';
  return spawnSync(process.execPath, [flag, '-e', '0']).status === 0 ? [flag] : [];
}

function withoutTestContext(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

test('the kernel tests pass on the relaxed-SIMD build', { timeout: LIMIT_MS }, () => {
  const files = ['test/engine/conv-forward.test.ts', 'test/engine/simd-kernels.test.ts', 'test/engine/relu-grad.test.ts', 'test/engine/batch-norm-apply.test.ts',
    'test/engine/zero-pad.test.ts', 'test/engine/pooled-add.test.ts', 'test/train/optimizers.test.ts'];
  const r = spawnSync(process.execPath, [...relaxedFlag(), '--import', 'tsx', '--test', '--test-reporter=tap', ...files], {
    // Without NODE_TEST_CONTEXT: with it, the child's runner reports to this one instead of printing its results.
    cwd: root, encoding: 'utf8', timeout: LIMIT_MS, env: { ...withoutTestContext(), CELLAB_EXPECT_RELAXED: '1' },
  });
  assert.equal(r.status, 0, `kernel tests failed on the relaxed build:\n${(r.stdout + r.stderr).split('\n').filter((l) => /not ok|Error|assert/i.test(l)).slice(0, 30).join('\n')}`);
  assert.match(r.stdout, /# pass [1-9]/);
});

test('training on 2 threads gives 1 thread\'s weights on the relaxed-SIMD build', { timeout: 2 * LIMIT_MS }, () => {
  const fit = (threads: number) => {
    const r = spawnSync(process.execPath, [...relaxedFlag(), '--import', 'tsx', path.join(root, 'test', 'train', 'fixtures', 'fit-threads-child.ts'), 'src', String(threads), 'fit'], {
      cwd: root, encoding: 'utf8', timeout: LIMIT_MS, killSignal: 'SIGKILL', env: { ...process.env, CELLAB_PROGRESS: '0' },
    });
    assert.equal(r.status, 0, `fit at ${threads} thread(s) failed:\n${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as { relaxed: boolean; threads: number; weightsSha256: string; losses: number[]; pool: { workerChunks: number } };
  };
  const two = fit(2), one = fit(1);
  assert.equal(two.relaxed, true, 'the relaxed build did not load with relaxed SIMD on');
  assert.equal(one.relaxed, true);
  assert.equal(two.threads, 2);
  assert.ok(two.pool.workerChunks > 0, 'the pool\'s worker ran nothing');
  assert.deepEqual(two.losses, one.losses);
  assert.equal(two.weightsSha256, one.weightsSha256, 'weights differ between 1 and 2 threads on the relaxed build');
});
