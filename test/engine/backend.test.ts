import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine, BackendUnavailableError, parseBackendName } from '../../src/engine/backend';
import { expectedAutoBackend, missingNative, nativeLoads, nativePackage } from './loadable';

// First: `auto` must run before any forced backend (initEngine keeps the current one).
test('auto picks the first backend of tensorflow-gpu > tensorflow > wasm > cpu that loads and says why the others were skipped', async () => {
  const lines: string[] = [];
  const info = await initEngine({ log: (l) => lines.push(l) });
  const expected = expectedAutoBackend();
  assert.equal(info.backend, expected);
  assert.equal(tf.getBackend(), expected === 'wasm' ? 'wasm' : 'tensorflow');
  assert.equal(info.device, expected === 'tensorflow-gpu' ? 'gpu' : 'cpu');
  const before = (['tensorflow-gpu', 'tensorflow'] as const).slice(0, (['tensorflow-gpu', 'tensorflow', 'wasm'] as const).indexOf(expected));
  assert.deepEqual(info.skipped.map((s) => s.backend), before);
  for (const s of info.skipped) assert.match(s.reason, new RegExp(nativePackage(s.backend as 'tensorflow').replace('/', '\\/')));
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
  assert.throws(() => parseBackendName('gpu', 'CELLAB_BACKEND'), /CELLAB_BACKEND=gpu is not a backend. Use one of: tensorflow-gpu, tensorflow, wasm, cpu/);
});
