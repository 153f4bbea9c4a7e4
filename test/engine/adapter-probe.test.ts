// The WebGPU adapter probe (src/engine/adapter-probe.ts): the asynchronous
// probe run-experiment starts before loading its modules and the synchronous
// one give the same answers from one cache; a probe handed down in
// CELLAB_WEBGPU_PROBE (a sweep's workers) replaces the probe, a malformed one
// does not; a background probe neither keeps the process alive nor outlives
// it; a probe that never answers fails at the timeout, the same on both paths.
//
// Probe children are counted (and made to hang) by probe-counter.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { probeCounter, webgpuInstalled } from './probe-counter';
import { PROBE_ENV, parseHandedProbe, probeAdapter, probeResult, startAdapterProbe, type AdapterProbe } from '../../src/engine/adapter-probe';

// This process' own probes must not take a result from the environment the tests run in.
delete process.env[PROBE_ENV];

const PROBE_MODULE = require.resolve('../../src/engine/adapter-probe');
const BACKEND = require.resolve('../../src/engine/backend');
const needsDawn = webgpuInstalled() ? false : 'the optional packages webgpu and @tensorflow/tfjs-backend-webgpu are not installed: no probe child runs';

/** Run `code` (CommonJS, with `probe` = the probe module) in a fresh Node; its last stdout line as JSON, the probe children's pids, its time. */
function child(code: string, env: NodeJS.ProcessEnv = {}): { out: any; pids: number[]; ms: number; stdout: string; stderr: string } {
  const probes = probeCounter({ hang: env.CELLAB_TEST_PROBE_HANG === '1' });
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', `const probe = require(${JSON.stringify(PROBE_MODULE)}); ${code}`], {
    encoding: 'utf8', timeout: 60_000,
    env: { ...process.env, CELLAB_BACKEND: '', CELLAB_WASM_THREADS: '1', [PROBE_ENV]: '', ...probes.env, ...env },
  });
  const ms = Date.now() - t0;
  assert.equal(r.status, 0, r.stderr);
  const last = r.stdout.trim().split('\n').pop();
  return { out: last ? JSON.parse(last) : undefined, pids: probes.pids(), ms, stdout: r.stdout, stderr: r.stderr };
}
const print = (expr: string) => `Promise.resolve(${expr}).then((v) => console.log(JSON.stringify(v)))`;
const NO_DRIVER = { VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' };

test('one parser for both probes: what the child printed, how it ended', () => {
  const adapter = probeResult({ stdout: 'noise\n{"vendor":"mesa","architecture":"","device":"llvmpipe (LLVM 15.0.6, 256 bits)","description":"llvmpipe","isFallbackAdapter":false}\n', stderr: '' });
  assert.deepEqual(adapter, { ok: true, adapter: { vendor: 'mesa', architecture: '', device: 'llvmpipe (LLVM 15.0.6, 256 bits)', description: 'llvmpipe', software: true } });
  assert.deepEqual(probeResult({ stdout: 'null\n', stderr: 'Warning: - Found no drivers!\n' }), { ok: false, problem: 'no-driver', reason: 'no Vulkan driver found (Dawn: Found no drivers)' });
  assert.deepEqual(probeResult({ stdout: '{"error":"boom"}\n', stderr: '' }), { ok: false, problem: 'none', reason: 'requestAdapter failed: boom' });
  const failed = (r: Partial<Parameters<typeof probeResult>[0]>) => probeResult({ stdout: '', stderr: '', ...r });
  assert.deepEqual(failed({ timedOutMs: 30_000, signal: 'SIGTERM' }), { ok: false, problem: 'probe-failed', reason: 'asking Dawn for an adapter failed (no answer within 30 s)' });
  assert.equal((failed({ signal: 'SIGSEGV', stderr: 'Error: bad thing.\n' }) as { reason: string }).reason, 'asking Dawn for an adapter failed (killed by SIGSEGV): bad thing');
  assert.equal((failed({ status: 3 }) as { reason: string }).reason, 'asking Dawn for an adapter failed (exit code 3)');
  assert.equal((failed({ error: new Error('spawn /x ENOENT') }) as { reason: string }).reason, 'asking Dawn for an adapter failed (spawn /x ENOENT)');
});

test('a handed-down result is read field by field: anything malformed is ignored', () => {
  const ok: AdapterProbe = { ok: true, adapter: { vendor: 'v', architecture: 'a', device: 'd', description: 'GPU X', software: false } };
  const no: AdapterProbe = { ok: false, problem: 'refused', reason: 'r' };
  assert.deepEqual(parseHandedProbe(JSON.stringify(ok)), ok);
  assert.deepEqual(parseHandedProbe(JSON.stringify(no)), no);
  assert.deepEqual(parseHandedProbe(JSON.stringify({ ...ok, extra: 1, adapter: { ...ok.adapter, extra: 2 } })), ok, 'only the known fields');
  for (const bad of [undefined, '', '{"ok":tru', 'null', '1', '"x"', '{"ok":true}', '{"ok":true,"adapter":{}}',
    JSON.stringify({ ok: true, adapter: { ...ok.adapter, software: 'no' } }), JSON.stringify({ ok: true, adapter: { ...ok.adapter, description: '' } }),
    '{"ok":false,"problem":"other","reason":"r"}', '{"ok":false,"problem":"none"}']) {
    assert.equal(parseHandedProbe(bad), undefined, String(bad));
  }
});

test('the asynchronous and the synchronous probe give the same answer, from one cache', { skip: needsDawn }, async () => {
  const a = await startAdapterProbe();
  assert.equal(probeAdapter(), a, 'the synchronous probe returns the cached answer');
  assert.equal(await startAdapterProbe(), a);
  assert.deepEqual(probeAdapter({ fresh: true }), a, 'a synchronous probe of its own answers the same');
  // The other way round, in a fresh process: sync first, then the async one asks nobody.
  const r = child(`const s = probe.probeAdapter(); probe.startAdapterProbe().then((p) => console.log(JSON.stringify({ same: p === s, p })))`);
  assert.deepEqual(r.out, { same: true, p: a });
  assert.equal(r.pids.length, 1, 'one probe child');
  // A synchronous probe while the asynchronous one runs: both callers end with the synchronous answer.
  const both = child(`const pending = probe.startAdapterProbe(); const s = probe.probeAdapter(); pending.then((p) => console.log(JSON.stringify({ same: p === s && probe.probeAdapter() === s })))`);
  assert.deepEqual(both.out, { same: true });
});

test('a valid CELLAB_WEBGPU_PROBE replaces the probe (no child), in initEngine too', () => {
  // Where a probe would say "no Vulkan driver": the handed-down answer is what the process uses.
  const handed: AdapterProbe = { ok: false, problem: 'refused', reason: 'handed down by the test' };
  const env = { ...NO_DRIVER, [PROBE_ENV]: JSON.stringify(handed) };
  const r = child(print('probe.startAdapterProbe().then((p) => ({ p, sync: probe.probeAdapter() }))'), env);
  assert.deepEqual(r.out, { p: handed, sync: handed });
  assert.deepEqual(r.pids, []);
  const engine = child(print(`require(${JSON.stringify(BACKEND)}).initEngine({ log: null })`), env);
  assert.match(engine.out.skipped.find((s: { backend: string }) => s.backend === 'webgpu').reason, /no usable WebGPU adapter: handed down by the test/);
  assert.deepEqual(engine.pids, []);
});

test('a malformed CELLAB_WEBGPU_PROBE is ignored: the process probes itself', { skip: needsDawn }, () => {
  for (const bad of ['{"ok":tru', '{"ok":true,"adapter":{}}']) {
    const r = child(print('probe.startAdapterProbe()'), { ...NO_DRIVER, [PROBE_ENV]: bad });
    assert.equal(r.out.problem, 'no-driver', JSON.stringify(r.out));
    assert.equal(r.pids.length, 1);
  }
});

test('a background probe keeps nobody waiting: the process exits at once, quietly, and the probe child with it', { skip: needsDawn }, () => {
  // The probe child hangs (never answers): a probe holding the process would keep it 30 s.
  // The process waits (synchronously) until the probe child is up, then has nothing left to do.
  const r = child(`if (!probe.probeEarly([])) throw new Error('probeEarly started nothing');
    const until = Date.now() + 10000;
    while (!require('node:fs').existsSync(process.env.CELLAB_TEST_PROBE_LOG) && Date.now() < until) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);`, { CELLAB_TEST_PROBE_HANG: '1' });
  assert.equal(r.pids.length, 1, 'the probe was started');
  assert.ok(r.ms < 15_000, `exited after ${r.ms} ms`);
  assert.equal(r.stdout + r.stderr, '');
  const gone = (pid: number) => { try { process.kill(pid, 0); return false; } catch { return true; } };
  const until = Date.now() + 5000;
  while (!gone(r.pids[0]) && Date.now() < until) spawnSync('sleep', ['0.1']);
  const outlived = !gone(r.pids[0]);
  if (outlived) process.kill(r.pids[0]); // it would hang for ever
  assert.ok(!outlived, `probe child ${r.pids[0]} outlived its process`);
});

test('probeEarly starts nothing where no engine will want the probe', () => {
  const r = child(print(`[probe.probeEarly([], { CELLAB_BACKEND: 'wasm' }), probe.probeEarly(['x.yaml', '--dry-run'], {}), probe.probeEarly(['--help'], { CELLAB_BACKEND: 'auto' })]`));
  assert.deepEqual(r.out, [false, false, false]);
  assert.deepEqual(r.pids, []);
  const handed = child(print('probe.probeEarly([])'), { [PROBE_ENV]: JSON.stringify({ ok: false, problem: 'none', reason: 'r' }) });
  assert.deepEqual([handed.out, handed.pids], [false, []]);
});

test('a probe that never answers fails at the timeout, the same on both paths', { skip: needsDawn }, () => {
  const r = child(print('probe.startAdapterProbe({ timeoutMs: 1000 }).then((a) => ({ a, s: probe.probeAdapter({ timeoutMs: 1000, fresh: true }) }))'), { CELLAB_TEST_PROBE_HANG: '1' });
  const expected = { ok: false, problem: 'probe-failed', reason: 'asking Dawn for an adapter failed (no answer within 1 s)' };
  assert.deepEqual(r.out, { a: expected, s: expected });
  assert.equal(r.pids.length, 2);
});
