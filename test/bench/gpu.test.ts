// bench/gpu.sh on a machine without a GPU: it must stop at once (well within
// 30 s) with exit code 1 and one line that says why, not measure lavapipe or
// hang. (Its measurements need a GPU; BENCH_GPU_ALLOW_SOFTWARE=1 runs them on
// lavapipe by hand, which takes minutes.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { probeAdapter } from '../../src/engine/webgpu';
import { webgpuSkip } from '../engine/webgpu-adapter';

const script = path.resolve(__dirname, '..', '..', 'bench', 'gpu.sh');

function gpuSh(env: NodeJS.ProcessEnv) {
  const t0 = Date.now();
  const r = spawnSync(script, [], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });
  return { ...r, seconds: (Date.now() - t0) / 1000 };
}

test('no Vulkan driver: exit 1 within 30 s, one line with Dawn\'s reason and what to install', () => {
  const r = gpuSh({ VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' });
  assert.equal(r.signal, null, 'finished before the 30 s timeout');
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^gpu\.sh: no GPU adapter: no Vulkan driver found \(Dawn: .*\); install the GPU driver's Vulkan ICD .*--gpus all and NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics/);
});

const probe = probeAdapter();
test('only a software adapter (lavapipe): exit 1 within 30 s, one line naming it', {
  skip: webgpuSkip() || (probe.ok && !probe.adapter.software ? 'a GPU adapter is present here' : false),
}, () => {
  assert.ok(probe.ok, `no WebGPU adapter at all (${probe.ok ? '' : probe.reason}): the README's install lines add lavapipe`);
  const r = gpuSh({});
  assert.equal(r.signal, null, 'finished before the 30 s timeout');
  assert.equal(r.status, 1, r.stderr);
  assert.deepEqual(r.stderr.trim().split('\n'), [`gpu.sh: no GPU adapter: WebGPU's only adapter is ${probe.adapter.description}, the CPU emulating a GPU; `
    + 'install the GPU driver\'s Vulkan ICD and, in a container, run with --gpus all and NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics (environment.md, "Running on a GPU machine")']);
});
