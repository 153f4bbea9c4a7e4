import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { initEngine, BackendUnavailableError, parseBackendName } from '../../src/engine/backend';
import { expectedAutoBackend, missingNative, nativeLoads, nativePackage, webgpuAdapter } from './loadable';

// First: `auto` must run before any forced backend (initEngine keeps the current one).
test('auto picks the first backend of tensorflow-gpu > webgpu (hardware adapter) > tensorflow > wasm > cpu that loads and says why the others were skipped', async () => {
  const lines: string[] = [];
  const info = await initEngine({ log: (l) => lines.push(l) });
  const expected = expectedAutoBackend();
  assert.equal(info.backend, expected);
  assert.equal(tf.getBackend(), expected === 'wasm' || expected === 'webgpu' ? expected : 'tensorflow');
  assert.equal(info.device, expected === 'tensorflow-gpu' || expected === 'webgpu' ? 'gpu' : 'cpu');
  const order = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm'] as const;
  assert.deepEqual(info.skipped.map((s) => s.backend), order.slice(0, order.indexOf(expected)));
  for (const s of info.skipped) {
    if (s.backend !== 'webgpu') assert.match(s.reason, new RegExp(nativePackage(s.backend as 'tensorflow').replace('/', '\\/')));
    else if (webgpuAdapter()?.software) assert.match(s.reason, /only adapter is a software one .*CELLAB_BACKEND=webgpu forces it/);
    else assert.match(s.reason, /webgpu/);
  }
  assert.match(lines.join('\n'), new RegExp(`backend ${expected}\\b`));
});

const missing = missingNative();
test('a forced native backend that is not installed names its package and what to do',
  { skip: missing ? false : 'both @tensorflow/tfjs-node and @tensorflow/tfjs-node-gpu load here: no missing backend to force' }, async () => {
    const pkg = nativePackage(missing!);
    await assert.rejects(initEngine({ backend: missing, log: null }), (err: Error) => {
      assert.ok(err instanceof BackendUnavailableError);
      assert.ok(err.message.includes(pkg), err.message);
      // Not installed: how to install it (environment.md); installed but broken: why it did not load.
      assert.match(err.message, /not installed.*environment\.md|did not load|CUDA libraries/);
      if (missing === 'tensorflow-gpu') assert.match(err.message, /CUDA 11\.2/);
      return true;
    });
  });

test('a forced backend that loads is the one used', async () => {
  const forced = nativeLoads('tensorflow') ? 'tensorflow' : 'wasm';
  const info = await initEngine({ backend: forced, log: null });
  assert.equal(info.backend, forced);
  assert.equal(tf.getBackend(), forced);
});

test('CELLAB_BACKEND values are validated', () => {
  assert.equal(parseBackendName('WASM', 'CELLAB_BACKEND'), 'wasm');
  assert.equal(parseBackendName('auto', 'CELLAB_BACKEND'), 'auto');
  assert.throws(() => parseBackendName('gpu', 'CELLAB_BACKEND'), /CELLAB_BACKEND=gpu is not a backend. Use one of: tensorflow-gpu, webgpu, tensorflow, wasm, cpu/);
});

/** The engine line(s) a fresh process prints for `backend` (wasm by default); `before` runs first in that process. */
function engineLines(env: NodeJS.ProcessEnv, before = '', backend = 'wasm'): string[] {
  const code = `${before}; require(${JSON.stringify(require.resolve('../../src/engine/backend'))}).initEngine({ backend: '${backend}' })` +
    `.then(() => process.exit(0), (e) => { console.error(e); process.exit(1); })`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { encoding: 'utf8', env: { ...process.env, CELLAB_WASM_THREADS: '1', ...env } });
  assert.equal(r.status, 0, r.stderr);
  return r.stderr.split('\n').filter((l) => l.startsWith('cellab:'));
}

test('cellab\'s SIMD kernels falling back to JavaScript is said once, in the engine line, with the reason', () => {
  const ok = engineLines({});
  assert.equal(ok.length, 1, ok.join('\n'));
  assert.match(ok[0], /^cellab: backend wasm \(cpu; wasm simd, 1 thread\)$/, 'nothing to say when the kernels load');
  const off = engineLines({ CELLAB_SIMD_KERNELS: '0' });
  assert.deepEqual(off, ['cellab: backend wasm (cpu; wasm simd, 1 thread; cellab SIMD kernels off (off by CELLAB_SIMD_KERNELS=0): slower JavaScript gradients)']);
  // The kernel file missing (a checkout without lib/, a broken install).
  const missing = engineLines({}, `const fs = require('node:fs'); const read = fs.readFileSync;
    fs.readFileSync = (p, ...a) => { if (/cellab-kernels.*\\.wasm$/.test(String(p))) throw Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' }); return read(p, ...a); }`);
  assert.equal(missing.length, 1, missing.join('\n'));
  assert.match(missing[0], /cellab SIMD kernels off \(lib\/cellab-kernels\.wasm is missing \(npm run build:kernels\)\): slower JavaScript gradients\)$/);
});

test('kernel pool workers that cannot start: the kernels run on the main thread, and the engine line says why', () => {
  const lines = engineLines({ CELLAB_WASM_THREADS: '2' }, `const fs = require('node:fs'); const exists = fs.existsSync;
    fs.existsSync = (p) => !/cellab-kernel-worker\\.cjs$/.test(String(p)) && exists(p)`);
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(lines[0], /^cellab: backend wasm \(cpu; wasm simd, 2 threads; cellab SIMD kernels: their 1 worker thread\(s\) did not start \(the kernel worker script .*cellab-kernel-worker\.cjs is missing \(it ships in the package's lib\/ folder\)\): they run on the main thread only\)$/);
});

test('auto falling back to the JavaScript backend says why wasm did not start',
  { skip: expectedAutoBackend() === 'wasm' ? false : 'a native backend loads here: auto never reaches cpu' }, () => {
    const lines = engineLines({}, `const Module = require('node:module'); const load = Module._load;
      Module._load = function (request, ...a) { if (request === '@tensorflow/tfjs-backend-wasm') throw new Error('broken install'); return load.call(this, request, ...a); }`, 'auto');
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0], /^cellab: backend cpu \(cpu; pure JavaScript \(slow: for checks only\); wasm did not start: .*broken install/);
  });
