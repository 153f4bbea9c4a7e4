// Multithreaded wasm under Node: the threaded build really starts with the
// requested threads, trains to the same numbers as one thread, and lets the
// process exit when the work is done. Each run is its own process (a
// backend's thread count is fixed when it starts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { resolveWasmThreads, resolveXnnpackThreads, MAX_WASM_THREADS } from '../../src/engine/backend';
import { xnnpackThreadsFor } from '../../src/experiment/engine-threads';

const CHILD = path.join(__dirname, 'fixtures', 'train-steps.ts');

interface ChildResult { threads: number; wasmThreads: number; detail: string; losses: number[]; weights: number[][] }

function trainIn(threads: number | undefined, env: Record<string, string> = {}): ChildResult {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD, ...(threads === undefined ? [] : [String(threads)])], {
    encoding: 'utf8', timeout: 90_000, env: { ...process.env, ...env },
  });
  // A timeout here means the pool's workers kept the process alive after its work.
  assert.equal(r.signal, null, `child with ${threads} thread(s) did not exit by itself: ${r.stderr}`);
  assert.equal(r.status, 0, `child with ${threads} thread(s) failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ChildResult;
}

test('wasm trains on 2 threads (CELLAB_WASM_THREADS=2) with the same losses and weights as on 1', () => {
  const one = trainIn(1);
  const two = trainIn(undefined, { CELLAB_WASM_THREADS: '2' });
  assert.equal(one.threads, 1);
  assert.equal(two.threads, 2, `engine reports ${two.threads} thread(s): ${two.detail}`);
  assert.equal(two.wasmThreads, 2, 'tfjs-backend-wasm getThreadsCount()');
  assert.match(two.detail, /2 threads/);
  assert.ok(one.losses[4] < one.losses[0], `loss did not decrease: ${one.losses}`);
  for (let i = 0; i < one.losses.length; i++) {
    assert.ok(Math.abs(one.losses[i] - two.losses[i]) <= 1e-6, `step ${i}: loss ${one.losses[i]} (1 thread) vs ${two.losses[i]} (2 threads)`);
  }
  assert.equal(two.weights.length, one.weights.length);
  // Equal up to float rounding: on one thread some gradients take cellab's SIMD kernels,
  // on two XNNPACK's (different summation order). A floor for weights that are all ~0.
  one.weights.forEach((w, k) => {
    const scale = Math.max(1e-12, ...w.map(Math.abs));
    const diff = Math.max(...w.map((v, i) => Math.abs(v - two.weights[k][i])));
    assert.ok(diff <= 1e-5 * scale + 1e-8, `weight ${k}: max difference ${diff} (scale ${scale})`);
  });
});

test('thread counts are validated and capped at the pool size', () => {
  assert.equal(resolveWasmThreads(undefined, undefined, 1), 1);
  assert.equal(resolveWasmThreads(undefined, undefined, 2), 2, 'by default one thread per core');
  assert.equal(resolveWasmThreads(undefined, undefined, 32), MAX_WASM_THREADS);
  assert.equal(resolveWasmThreads(undefined, ' 3 '), 3);
  assert.equal(resolveWasmThreads(2, '4'), 2, 'the option wins over the variable');
  assert.equal(resolveWasmThreads(64, undefined), MAX_WASM_THREADS);
  assert.throws(() => resolveWasmThreads(undefined, 'two'), /CELLAB_WASM_THREADS=two is not a thread count: use a whole number from 1 to 8/);
  assert.throws(() => resolveWasmThreads(0, undefined), /the threads option=0 is not a thread count/);
  assert.throws(() => resolveWasmThreads(1.5, undefined), /not a thread count/);
});

test('XNNPACK\'s share of the threads: all by default, the option (a backbone\'s preference) below CELLAB_XNNPACK_THREADS, capped at the threads', () => {
  assert.equal(resolveXnnpackThreads(undefined, undefined, 2), 2);
  assert.equal(resolveXnnpackThreads(1, undefined, 2), 1);
  assert.equal(resolveXnnpackThreads(1, '2', 2), 2, 'the variable wins over the automatic choice');
  assert.equal(resolveXnnpackThreads(undefined, '8', 2), 2);
  assert.equal(resolveXnnpackThreads(undefined, ' ', 4), 4);
  assert.throws(() => resolveXnnpackThreads(undefined, '0', 2), /CELLAB_XNNPACK_THREADS must be a whole number >= 1 \(got '0'\)/);
  // Resnets run almost everything in cellab's kernels; nets with depthwise convolutions or attention keep XNNPACK on every thread.
  assert.equal(xnnpackThreadsFor('resnet18'), 1);
  assert.equal(xnnpackThreadsFor('resnet50'), 1);
  for (const b of ['small-cnn', 'convnext-tiny', 'mobilenetv2', 'vit-tiny', 'efficientnet-b0']) assert.equal(xnnpackThreadsFor(b), undefined, b);
});
