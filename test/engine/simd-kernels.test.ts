// cellab's wasm SIMD kernels (lib/cellab-kernels*.wasm, built from
// src/engine/simd/kernels.c) load here, agree with the JavaScript versions
// they replace (arrays off the heap: the copy path; the engine's kernel tests
// use heap tensors), the multithreaded backend runs them on its shared
// memory, and the JavaScript versions (used when the module cannot load)
// still pass the engine's kernel tests.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { simdKernels } from '../../src/engine/simd-kernels';
import { initEngine } from '../../src/engine/backend';
import { columnSums } from '../../src/engine/leading-axes-reduce';
import { Random } from '../../src/engine/random';

function randomArray(n: number, seed: number): Float32Array {
  const r = new Random(seed);
  return Float32Array.from({ length: n }, () => r.normal() * 3 + 1);
}

before(async () => { await initEngine({ backend: 'wasm', threads: 1, log: null }); });

test('the SIMD kernels load on wasm (the committed lib/cellab-kernels*.wasm run on this Node, on the backend\'s own memory)', () => {
  assert.ok(simdKernels(), 'simdKernels() is null: lib/cellab-kernels.wasm is missing or wasm SIMD is unavailable');
  // Set by relaxed-simd.test.ts, which runs this file with relaxed SIMD switched on.
  if (process.env.CELLAB_EXPECT_RELAXED === '1') assert.equal(simdKernels()!.relaxed, true, 'the relaxed-SIMD build did not load');
});

test('column sums and moments match double-precision JavaScript, for any column count', () => {
  const k = simdKernels()!;
  for (const [rows, cols] of [[1, 1], [7, 3], [1000, 16], [4097, 5], [33, 130]]) {
    const x = randomArray(rows * cols, rows + cols);
    const want = columnSums(x, rows, cols);
    const got = k.columnSums(x, rows, cols);
    got.forEach((v, c) => assert.ok(Math.abs(v - want[c]) <= 1e-5 * (1 + Math.abs(want[c])) + 1e-4, `${rows}x${cols} column ${c}: ${v} vs ${want[c]}`));
    const mean = new Float32Array(cols), variance = new Float32Array(cols);
    k.channelMoments(x, rows, cols, mean, variance);
    for (let c = 0; c < cols; c++) {
      const m = want[c] / rows;
      let v = 0;
      for (let r = 0; r < rows; r++) v += (x[r * cols + c] - m) ** 2;
      v /= rows;
      assert.ok(Math.abs(mean[c] - m) <= 1e-5 * (1 + Math.abs(m)), `${rows}x${cols} mean ${c}: ${mean[c]} vs ${m}`);
      assert.ok(Math.abs(variance[c] - v) <= 1e-4 * (1 + v), `${rows}x${cols} variance ${c}: ${variance[c]} vs ${v}`);
    }
  }
});

test('the engine kernel tests pass on 1 thread (where more gradients take the SIMD kernels; the default here, one per core, uses the shared-memory module) and with the JavaScript fallbacks (CELLAB_SIMD_KERNELS=0)', { timeout: 300_000 }, () => {
  // slice-rows: its crop runs in pad_rows with the kernels, a copy per row without them.
  const files = ['wasm-kernels.test.ts', 'slice-rows.test.ts'].map((f) => path.join(__dirname, f));
  for (const env of [{ CELLAB_WASM_THREADS: '1' }, { CELLAB_SIMD_KERNELS: '0' }]) {
    // Without NODE_TEST_CONTEXT: inherited from this runner, it makes the child skip its files.
    const { NODE_TEST_CONTEXT: _, ...parent } = process.env;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=dot', ...files], {
      encoding: 'utf8', env: { ...parent, ...env },
    });
    assert.equal(r.status, 0, `wasm-kernels.test.ts and slice-rows.test.ts with ${JSON.stringify(env)} failed:\n${(r.stdout + r.stderr).slice(-3000)}`);
  }
});

test('the filter gradient cut by position segments gives the same bits as the cut by taps (what 2+ threads run on large layers)', async () => {
  const tf = await import('@tensorflow/tfjs');
  const k = simdKernels()!;
  // Segments are 1024 positions: the first two cases have several, one with a partial last segment.
  for (const [n, h, w, ci, co, kh, stride] of [[8, 16, 16, 8, 16, 3, 1], [5, 15, 13, 4, 12, 5, 2], [2, 6, 6, 16, 8, 3, 1]]) {
    const info = tf.backend_util.computeConv2DInfo([n, h, w, ci], [kh, kh, ci, co], stride, 1, 'same');
    const x = randomArray(n * h * w * ci, n + h), dy = randomArray(n * info.outHeight * info.outWidth * co, ci + co);
    const byTaps = new Float32Array(kh * kh * ci * co), byPositions = new Float32Array(kh * kh * ci * co);
    k.convFilterGrad(x, dy, info, byTaps, 'taps');
    k.convFilterGrad(x, dy, info, byPositions, 'positions');
    assert.deepEqual(byPositions, byTaps, `${n}x${h}x${w}x${ci} -> ${co}, ${kh}x${kh}/${stride}`);
    assert.ok(byTaps.some((v) => v !== 0));
  }
});
