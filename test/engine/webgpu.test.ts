// The webgpu backend as a user meets it: forced with CELLAB_BACKEND=webgpu it
// starts on the machine's adapter (lavapipe in CI: `cpu-emulated`, named in
// the engine line and the device tag); without an adapter, or without the
// optional packages, it fails saying what is missing and what to install,
// while `auto` moves on to the next backend without Dawn's noise; a
// synchronous read of device data fails with an error that says what to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { initEngine, deviceTag, BackendUnavailableError } from '../../src/engine/backend';
import { classifyNoAdapter, dawnReason, isSoftwareAdapter, probeAdapter, SyncReadError } from '../../src/engine/webgpu';
import { webgpuSkip } from './webgpu-adapter';

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, 'fixtures', name), 'utf8');
const BACKEND = require.resolve('../../src/engine/backend');

/** initEngine in a fresh Node with `env`; its result or error as JSON, and its stderr. */
function child(env: NodeJS.ProcessEnv, backend: string, preload = ''): { result: { backend?: string; skipped?: { backend: string; reason: string }[]; error?: string; name?: string }; stderr: string } {
  const code = `${preload}; require(${JSON.stringify(BACKEND)}).initEngine({ backend: ${JSON.stringify(backend)}, log: null })` +
    '.then((i) => console.log(JSON.stringify(i)), (e) => console.log(JSON.stringify({ error: e.message, name: e.name })))';
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], {
    encoding: 'utf8', timeout: 60_000, env: { ...process.env, CELLAB_BACKEND: '', CELLAB_WASM_THREADS: '1', ...env },
  });
  assert.equal(r.status, 0, r.stderr);
  return { result: JSON.parse(r.stdout.trim().split('\n').pop()!), stderr: r.stderr };
}

test('Dawn\'s messages become one-line reasons: a refused adapter (Debian 12\'s Mesa 22.3.6 lavapipe), no Vulkan driver', () => {
  // Captured from Dawn 0.6.2 on Mesa 22.3.6's lavapipe and with no ICD at all (the absolute path of
  // Dawn's build tree in its source locations shortened to third_party/...).
  const refused = classifyNoAdapter(fixture('dawn-refused-mesa-22.3.6.txt'));
  assert.equal(refused.problem, 'refused');
  assert.equal(refused.reason, 'Dawn refused the Vulkan adapter: Vulkan shaderUniform*ArrayDynamicIndexing required; While initializing adapter (backend=BackendType::Vulkan)');
  const none = classifyNoAdapter(fixture('dawn-no-driver.txt'));
  assert.equal(none.problem, 'no-driver');
  assert.match(none.reason, /^no Vulkan driver found \(Dawn: .*Found no drivers.*VK_ERROR_INCOMPATIBLE_DRIVER\)$/);
  assert.ok(!/\n|CheckVkSuccessImpl|VulkanError\.cpp/.test(none.reason), 'no source locations');
  assert.equal(classifyNoAdapter('').reason, 'Dawn offers no adapter (and gave no reason)');
  assert.equal(dawnReason('Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.\n'), '');
  for (const d of ['llvmpipe (LLVM 15.0.6, 256 bits)', 'SwiftShader Device (Subzero)']) assert.ok(isSoftwareAdapter({ description: d }), d);
  assert.ok(!isSoftwareAdapter({ architecture: 'ampere', description: 'NVIDIA GeForce RTX 3090' }));
});

test('no Vulkan driver: forced webgpu names the packages, the problem with Dawn\'s reason and what to install; auto falls back quietly', () => {
  const env = { VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' };
  const forced = child(env, 'webgpu');
  assert.equal(forced.result.name, 'BackendUnavailableError', JSON.stringify(forced.result));
  const msg = forced.result.error!;
  assert.match(msg, /^backend 'webgpu' is not available: webgpu \(Dawn\) \+ @tensorflow\/tfjs-backend-webgpu are installed, but there is no usable WebGPU adapter: no Vulkan driver found \(Dawn: .*Found no drivers/);
  assert.match(msg, /Vulkan ICD/);
  assert.match(msg, /apt-get install -y -t bookworm-backports mesa-vulkan-drivers/);
  assert.match(msg, /requested by the backend option; unset it/);
  const auto = child(env, 'auto');
  assert.ok(auto.result.backend === 'wasm' || auto.result.backend?.startsWith('tensorflow'), JSON.stringify(auto.result));
  const skipped = auto.result.skipped!.find((s) => s.backend === 'webgpu');
  assert.match(skipped!.reason, /no Vulkan driver found/);
  assert.ok(!/vkCreateInstance|loader_get_json/.test(auto.stderr), `Dawn's messages stay in the probe: ${auto.stderr}`);
});

test('the optional packages missing: forced webgpu says so and how to install them', () => {
  // As after an `npm install` that dropped the optional dependency.
  const hide = `const M = require('node:module'); const r = M._resolveFilename;
    M._resolveFilename = function (req, ...a) { if (req === 'webgpu') { const e = new Error("Cannot find module 'webgpu'"); e.code = 'MODULE_NOT_FOUND'; throw e; } return r.call(this, req, ...a); }`;
  const r = child({}, 'webgpu', hide);
  assert.match(r.result.error!, /^backend 'webgpu' is not available: .* are optional dependencies and not installed here \(webgpu is not installed: run `npm install` \(optional dependencies webgpu@0\.6\.2 and @tensorflow\/tfjs-backend-webgpu@4\.22\.0\)\)/);
});

test('forced webgpu starts on the adapter and says which (engine line, device, cellab.device); sync reads of device data fail clearly', { skip: webgpuSkip() }, async () => {
  const probe = probeAdapter();
  assert.ok(probe.ok, `no WebGPU adapter: ${probe.ok ? '' : probe.reason}. On Debian 12 without a GPU: the README's install lines (Mesa from bookworm-backports)`);
  const lines: string[] = [];
  const info = await initEngine({ backend: 'webgpu', log: (l) => lines.push(l) });
  assert.equal(info.backend, 'webgpu');
  assert.equal(tf.getBackend(), 'webgpu');
  assert.equal(info.adapter, probe.adapter.description);
  assert.equal(info.device, probe.adapter.software ? 'cpu-emulated' : 'gpu');
  assert.equal(deviceTag(info), `${info.device} (${probe.adapter.description})`);
  assert.deepEqual(lines, [`cellab: backend webgpu (${info.device}; WebGPU on Dawn, adapter ${probe.adapter.description}${probe.adapter.software ? ' (software: emulated on the CPU, slow)' : ''})`]);

  const x = tf.tensor1d([1, 2, 3]);
  assert.deepEqual(Array.from(x.dataSync()), [1, 2, 3], 'values from JavaScript are still on the CPU');
  const y = tf.square(x);
  assert.deepEqual(Array.from(await y.data()), [1, 4, 9]);
  const z = tf.mul(x, 2);
  assert.throws(() => z.dataSync(), (e: Error) => e instanceof SyncReadError && /await tensor\.data\(\)/.test(e.message) && /CELLAB_BACKEND=wasm/.test(e.message));
  assert.throws(() => tf.sum(x).arraySync(), SyncReadError);
  tf.dispose([x, y, z]);
  assert.ok(!(new BackendUnavailableError('webgpu', 'p', 'r') instanceof SyncReadError));
});

test('work the device rejects fails every later read with a clear error, instead of zeros', { skip: webgpuSkip() }, () => {
  // A program binding 9 inputs: more storage buffers than a shader stage may have (validation error).
  const code = `const tf = require('@tensorflow/tfjs');
    require(${JSON.stringify(BACKEND)}).initEngine({ backend: 'webgpu', log: null }).then(async () => {
      const xs = Array.from({ length: 9 }, (_, i) => tf.fill([4], i + 1));
      const ok = tf.addN(xs.map((x) => tf.mul(x, 1)));
      const before = Array.from(await ok.data());
      const program = { variableNames: xs.map((_, i) => 'x' + i), outputShape: [4], shaderKey: 'cellab_test_nine_inputs', dispatchLayout: { x: [0] },
        dispatch: [1, 1, 1], workgroupSize: [64, 1, 1], size: true,
        getUserCode: () => 'fn main(index : i32) { if (index < uniforms.size) { setOutputAtIndex(index, ' + xs.map((_, i) => 'getX' + i + 'ByOutputIndex(index)').join(' + ') + '); } }' };
      const bad = tf.engine().makeTensorFromTensorInfo(tf.backend().runWebGPUProgram(program, xs, 'float32'));
      const errors = [];
      for (const t of [bad, tf.square(ok)]) await t.data().then(() => errors.push(null), (e) => errors.push({ name: e.name, message: e.message }));
      console.log(JSON.stringify({ before, errors }));
    })`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { before: number[]; errors: ({ name: string; message: string } | null)[] };
  assert.deepEqual(out.before, [45, 45, 45, 45], 'reads before the rejected work are fine');
  assert.equal(out.errors.length, 2);
  for (const e of out.errors) {
    assert.equal(e?.name, 'WebGpuDeviceError');
    assert.match(e!.message, /^the WebGPU device rejected work, so results computed since are invalid \(Dawn: The number of storage buffers \(10\) .* exceeds/);
    assert.match(e!.message, /CELLAB_BACKEND=wasm runs it/);
  }
});
