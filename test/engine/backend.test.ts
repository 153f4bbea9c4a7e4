import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine, BackendUnavailableError, parseBackendName } from '../../src/engine/backend';

test('a forced native backend that is not installed names its package and what to do', async () => {
  await assert.rejects(initEngine({ backend: 'tensorflow', log: null }), (err: Error) => {
    assert.ok(err instanceof BackendUnavailableError);
    assert.match(err.message, /@tensorflow\/tfjs-node\b/);
    assert.match(err.message, /not installed/);
    assert.match(err.message, /environment\.md/);
    return true;
  });
  await assert.rejects(initEngine({ backend: 'tensorflow-gpu', log: null }), /@tensorflow\/tfjs-node-gpu.*CUDA 11\.2/);
});

test('auto picks the best backend that loads and says why the others were skipped', async () => {
  const lines: string[] = [];
  const info = await initEngine({ log: (l) => lines.push(l) });
  // tfjs-node cannot install on these machines; wasm is the fallback.
  assert.equal(info.backend, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.equal(info.device, 'cpu');
  assert.deepEqual(info.skipped.map((s) => s.backend), ['tensorflow-gpu', 'tensorflow']);
  assert.match(lines.join('\n'), /backend wasm/);
});

test('CELLAB_BACKEND values are validated', () => {
  assert.equal(parseBackendName('WASM', 'CELLAB_BACKEND'), 'wasm');
  assert.equal(parseBackendName('auto', 'CELLAB_BACKEND'), 'auto');
  assert.throws(() => parseBackendName('gpu', 'CELLAB_BACKEND'), /CELLAB_BACKEND=gpu is not a backend. Use one of: tensorflow-gpu, tensorflow, wasm, cpu/);
});
