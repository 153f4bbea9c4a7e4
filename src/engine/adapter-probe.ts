// Which WebGPU adapter Dawn would give this process, asked in a child Node:
// Dawn prints why it refused an adapter (or found no Vulkan driver) on the
// process' stderr from native code, where this process could neither catch
// nor silence it. The child's stderr becomes the reason in our error, and a
// machine without a GPU never sees Dawn's noise on an automatic start.
//
// The probe costs ~0.2 s of wall time (a Node start plus Dawn's Vulkan
// start). run-experiment starts it asynchronously before its modules load
// (probeEarly, from bin/), so it runs meanwhile; a sweep hands its result to
// its workers in CELLAB_WEBGPU_PROBE instead of each worker probing again.
// This module loads nothing heavy (no tfjs): bin/ requires it first.
import { spawn, spawnSync } from 'node:child_process';
import type { Socket } from 'node:net';
import * as os from 'node:os';
import { phase } from '../experiment/timing';

export const WEBGPU_PACKAGES = { dawn: 'webgpu', backend: '@tensorflow/tfjs-backend-webgpu' } as const;
export const WEBGPU_INSTALL = '`npm install` (optional dependencies webgpu@0.6.2 and @tensorflow/tfjs-backend-webgpu@4.22.0)';

/** Internal: a sweep's probe result (AdapterProbe JSON), handed to its worker processes. */
export const PROBE_ENV = 'CELLAB_WEBGPU_PROBE';

/** What Dawn reports about the adapter it would use. */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation of Vulkan (Mesa's lavapipe, SwiftShader): WebGPU emulated on the CPU. */
  software: boolean;
}

const PROBLEMS = ['not-installed', 'no-driver', 'refused', 'none', 'probe-failed'] as const;

export type AdapterProbe =
  | { ok: true; adapter: AdapterInfo }
  | { ok: false; problem: (typeof PROBLEMS)[number]; reason: string };

/** Noise Dawn prints on every lavapipe device (not a reason for anything). */
const NOISE = /artificially reduced from|^\s*at \S+ \(.*:\d+\)$|^\s*$/;

/** Dawn's messages from a probe's stderr, one line each, without source locations. */
export function dawnReason(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => !NOISE.test(l))
    .map((l) => l.trim().replace(/^(Warning|Error): /, '').replace(/^- /, '').replace(/[.!]$/, ''));
  return [...new Set(lines)].join('; ').slice(0, 600);
}

/** Classify a failed adapter request from Dawn's messages. */
export function classifyNoAdapter(stderr: string): Exclude<AdapterProbe, { ok: true }> {
  const reason = dawnReason(stderr);
  if (/While initializing adapter/i.test(stderr)) {
    return { ok: false, problem: 'refused', reason: `Dawn refused the Vulkan adapter: ${reason}` };
  }
  if (/Found no drivers|VK_ERROR_INCOMPATIBLE_DRIVER|libvulkan|Couldn't load Vulkan|vkCreateInstance/i.test(stderr)) {
    return { ok: false, problem: 'no-driver', reason: `no Vulkan driver found${reason ? ` (Dawn: ${reason})` : ''}` };
  }
  return { ok: false, problem: 'none', reason: `Dawn offers no adapter${reason ? ` (Dawn: ${reason})` : ' (and gave no reason)'}` };
}

/** Lavapipe, llvmpipe, SwiftShader and other CPU "GPUs". */
export function isSoftwareAdapter(info: { architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean }): boolean {
  return info.isFallbackAdapter === true || info.architecture === 'software'
    || /llvmpipe|lavapipe|swiftshader|softpipe|\bcpu\b/i.test(`${info.device ?? ''} ${info.description ?? ''}`);
}

/** Where a package resolves from this module, or undefined when it is not installed. */
function resolvePackage(name: string): string | undefined {
  try {
    return require.resolve(name);
  } catch {
    return undefined;
  }
}

// Runs in the child: prints one JSON line with what requestAdapter returned.
const PROBE = `
const { create } = require(process.argv[1]);
const gpu = create([]);
gpu.requestAdapter({ powerPreference: 'high-performance' }).then((a) => {
  const i = a ? (a.info || {}) : null;
  process.stdout.write(JSON.stringify(i ? { vendor: i.vendor, architecture: i.architecture, device: i.device,
    description: i.description, isFallbackAdapter: i.isFallbackAdapter === true || a.isFallbackAdapter === true } : null) + '\\n');
  process.exit(0);
}, (e) => { process.stdout.write(JSON.stringify({ error: String(e && e.message || e) }) + '\\n'); process.exit(0); });
`;

const DEFAULT_TIMEOUT_MS = 30_000;

/** How a probe child ended: what it printed, and (when it printed nothing usable) why. */
export interface ProbeRun {
  stdout: string;
  stderr: string;
  /** The child could not be started (or, from spawnSync, was killed at the timeout). */
  error?: Error;
  signal?: NodeJS.Signals | null;
  status?: number | null;
  /** Killed after this many ms without an answer. */
  timedOutMs?: number;
}

/** What a probe child's output says (both the synchronous and the asynchronous probe end here). */
export function probeResult(r: ProbeRun): AdapterProbe {
  const line = r.stdout.trim().split('\n').pop() ?? '';
  const dawn = dawnReason(r.stderr);
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    const why = r.timedOutMs !== undefined ? `no answer within ${r.timedOutMs / 1000} s`
      : r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit code ${r.status}`;
    return { ok: false, problem: 'probe-failed', reason: `asking Dawn for an adapter failed (${why})${dawn ? `: ${dawn}` : ''}` };
  }
  if (parsed === null) return classifyNoAdapter(r.stderr);
  const p = parsed as { error?: string; vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  if (p.error) return { ok: false, problem: 'none', reason: `requestAdapter failed: ${p.error}${dawn ? ` (Dawn: ${dawn})` : ''}` };
  const adapter: AdapterInfo = {
    vendor: p.vendor ?? '', architecture: p.architecture ?? '', device: p.device ?? '',
    description: p.description || [p.vendor, p.device].filter(Boolean).join(' ') || 'unnamed adapter',
    software: isSoftwareAdapter(p),
  };
  return { ok: true, adapter };
}

/**
 * A probe result handed down in CELLAB_WEBGPU_PROBE, checked field by field;
 * undefined for anything else (the process then probes itself).
 */
export function parseHandedProbe(value: string | undefined): AdapterProbe | undefined {
  if (!value) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object') return undefined;
  const p = v as Record<string, unknown>;
  if (p.ok === true) {
    const a = p.adapter as Record<string, unknown> | null;
    if (!a || typeof a !== 'object' || typeof a.software !== 'boolean') return undefined;
    const [vendor, architecture, device, description] = [a.vendor, a.architecture, a.device, a.description];
    if (![vendor, architecture, device, description].every((s) => typeof s === 'string') || !description) return undefined;
    return { ok: true, adapter: { vendor, architecture, device, description, software: a.software } as AdapterInfo };
  }
  if (p.ok === false && (PROBLEMS as readonly unknown[]).includes(p.problem) && typeof p.reason === 'string') {
    return { ok: false, problem: p.problem as (typeof PROBLEMS)[number], reason: p.reason };
  }
  return undefined;
}

/** This process' probe result, once known (one cache for both probes and the handed-down result). */
let probed: AdapterProbe | undefined;
let handedChecked = false;
/** The asynchronous probe in flight. */
let running: { promise: Promise<AdapterProbe>; hold(): void } | undefined;

function known(fresh: boolean | undefined): AdapterProbe | undefined {
  if (fresh) return undefined;
  if (!probed && !handedChecked) {
    handedChecked = true;
    probed = parseHandedProbe(process.env[PROBE_ENV]);
  }
  return probed;
}

/** The Dawn binding to probe with, or why there is nothing to probe. */
function probeTarget(): { dawn: string } | AdapterProbe {
  const dawn = resolvePackage(WEBGPU_PACKAGES.dawn);
  const missing = [WEBGPU_PACKAGES.dawn, WEBGPU_PACKAGES.backend].filter((p) => !resolvePackage(p));
  if (!dawn || missing.length) {
    return { ok: false, problem: 'not-installed', reason: `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not installed: run ${WEBGPU_INSTALL}` };
  }
  return { dawn };
}

/**
 * The adapter Dawn would give this process (asked in a child Node, cached per
 * process). Never throws: a failure says what is missing and Dawn's reason.
 * While an asynchronous probe is still running this one asks again (a
 * synchronous caller cannot wait for it); its answer is the one kept.
 */
export function probeAdapter(o: { timeoutMs?: number; fresh?: boolean } = {}): AdapterProbe {
  const k = known(o.fresh);
  if (k) return k;
  const target = probeTarget();
  if (!('dawn' in target)) return probed = target;
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const r = spawnSync(process.execPath, ['-e', PROBE, target.dawn], {
    encoding: 'utf8', timeout: timeoutMs, env: dawnEnv(process.env), stdio: ['ignore', 'pipe', 'pipe'],
  });
  const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
  return probed = probeResult({ stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: timedOut ? undefined : r.error, signal: r.signal, status: r.status, timedOutMs: timedOut ? timeoutMs : undefined });
}

/**
 * probeAdapter without blocking: the probe child runs while this process goes
 * on (loads its modules). Same cache, same results. `background`: the probe
 * keeps the process alive for nothing (it is killed at exit) until a caller
 * without `background` waits for it.
 */
export function startAdapterProbe(o: { timeoutMs?: number; fresh?: boolean; background?: boolean } = {}): Promise<AdapterProbe> {
  const k = known(o.fresh);
  if (k) return Promise.resolve(k);
  if (running && !o.fresh) {
    if (!o.background) running.hold();
    return running.promise;
  }
  const target = probeTarget();
  if (!('dawn' in target)) return Promise.resolve(probed = target);
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  phase('webgpu probe: started');
  const child = spawn(process.execPath, ['-e', PROBE, target.dawn], { env: dawnEnv(process.env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '', stderr = '', error: Error | undefined, timedOut = false;
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  // SIGTERM at the timeout, as spawnSync's; at exit, so that an early probe nobody waited for does not outlive us.
  const timer = setTimeout(() => { timedOut = true; child.kill('SIGTERM'); }, timeoutMs);
  const killAtExit = () => { child.kill('SIGTERM'); };
  process.on('exit', killAtExit);
  const handles = [child, child.stdout as Socket, child.stderr as Socket, timer];
  if (o.background) for (const h of handles) h.unref();
  const entry = {
    promise: new Promise<AdapterProbe>((resolve) => {
      let settled = false;
      const finish = (status: number | null, signal: NodeJS.Signals | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        process.removeListener('exit', killAtExit);
        if (running === entry) running = undefined;
        const result = probeResult({ stdout, stderr, error, status, signal, timedOutMs: timedOut ? timeoutMs : undefined });
        // A synchronous probe that answered meanwhile is the one kept (callers may hold it already).
        if (!o.fresh) probed ??= result;
        phase(`webgpu probe: done (${result.ok ? result.adapter.description : result.problem})`);
        resolve(o.fresh ? result : probed ?? result);
      };
      child.once('error', (e) => {
        error = e;
        // Not started at all: no 'close' follows for sure.
        if (child.pid === undefined) finish(null, null);
      });
      child.once('close', finish);
    }),
    hold() { for (const h of handles) h.ref(); },
  };
  if (!o.fresh) running = entry;
  return entry.promise;
}

/** The probe result for a child process' environment (CELLAB_WEBGPU_PROBE), once this process has one. */
export function probeEnvForChildren(): Record<string, string> {
  return probed ? { [PROBE_ENV]: JSON.stringify(probed) } : {};
}

/** Whether a probe has answered or is under way in this process. */
export function adapterProbeStarted(): boolean {
  return probed !== undefined || running !== undefined;
}

/**
 * run-experiment's first act (bin/run-experiment.js): start the probe in the
 * background when the backend will be chosen automatically and no result was
 * handed down, unless the command will start no engine (--help, --dry-run).
 * Returns whether a probe was started.
 */
export function probeEarly(argv: string[], env: NodeJS.ProcessEnv = process.env): boolean {
  const backend = (env.CELLAB_BACKEND ?? '').trim().toLowerCase();
  if (backend !== '' && backend !== 'auto') return false;
  if (argv.some((a) => a === '--help' || a === '-h' || a === '--dry-run' || a === '--version')) return false;
  if (known(false) || running) return false;
  void startAdapterProbe({ background: true });
  return true;
}

/**
 * The environment Dawn runs in: with XDG_RUNTIME_DIR set (Dawn's Vulkan
 * loader warns on every start without it, e.g. in containers and CI).
 */
function dawnEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return env.XDG_RUNTIME_DIR ? env : { ...env, XDG_RUNTIME_DIR: os.tmpdir() };
}
