// The WebGPU backend in Node: Dawn's Node bindings (npm `webgpu`, a prebuilt
// dawn.node inside the package) give Node a `navigator.gpu` on any GPU with a
// Vulkan driver, and @tensorflow/tfjs-backend-webgpu runs TF.js on it. Both
// are optional dependencies, found at run time.
//
// The adapter is probed in a child Node first: Dawn prints why it refused an
// adapter (or found no Vulkan driver) on the process' stderr from native
// code, where this process could neither catch nor silence it. The child's
// stderr becomes the reason in our error, and a machine without a GPU never
// sees Dawn's noise on an automatic start.
//
// On this backend synchronous reads (dataSync, arraySync) of data on the
// device are impossible (tfjs reads through an OffscreenCanvas that Node
// lacks): see reads.ts for the rule the training and evaluation code keeps.
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { registerWebGpuKernels } from './webgpu-kernels';

export const WEBGPU_PACKAGES = { dawn: 'webgpu', backend: '@tensorflow/tfjs-backend-webgpu' } as const;
export const WEBGPU_INSTALL = '`npm install` (optional dependencies webgpu@0.6.2 and @tensorflow/tfjs-backend-webgpu@4.22.0)';

/** What Dawn reports about the adapter it would use. */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation of Vulkan (Mesa's lavapipe, SwiftShader): WebGPU emulated on the CPU. */
  software: boolean;
}

export type AdapterProbe =
  | { ok: true; adapter: AdapterInfo }
  | { ok: false; problem: 'not-installed' | 'no-driver' | 'refused' | 'none' | 'probe-failed'; reason: string };

// What to install where the adapter is missing (environment.md has the details).
export const ADAPTER_HELP = 'on a GPU machine install the driver\'s Vulkan ICD (NVIDIA: the driver\'s Vulkan/GL libraries, e.g. Debian\'s nvidia-vulkan-icd or Ubuntu\'s libnvidia-gl-<version>, and in a container `--gpus all` with NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics; AMD/Intel: mesa-vulkan-drivers); without a GPU, Mesa >= 25\'s lavapipe emulates one on the CPU (slow): `apt-get install -y -t bookworm-backports mesa-vulkan-drivers` (Debian 12\'s own Mesa 22 is refused by Dawn); see environment.md';

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

let probed: AdapterProbe | undefined;

/**
 * The adapter Dawn would give this process (asked in a child Node, cached per
 * process). Never throws: a failure says what is missing and Dawn's reason.
 */
export function probeAdapter(o: { timeoutMs?: number; fresh?: boolean } = {}): AdapterProbe {
  if (probed && !o.fresh) return probed;
  const dawn = resolvePackage(WEBGPU_PACKAGES.dawn);
  const missing = [WEBGPU_PACKAGES.dawn, WEBGPU_PACKAGES.backend].filter((p) => !resolvePackage(p));
  if (!dawn || missing.length) {
    return probed = { ok: false, problem: 'not-installed', reason: `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not installed: run ${WEBGPU_INSTALL}` };
  }
  const r = spawnSync(process.execPath, ['-e', PROBE, dawn], {
    encoding: 'utf8', timeout: o.timeoutMs ?? 30_000, env: dawnEnv(process.env), stdio: ['ignore', 'pipe', 'pipe'],
  });
  const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit code ${r.status}`;
    return probed = { ok: false, problem: 'probe-failed', reason: `asking Dawn for an adapter failed (${why})${dawnReason(r.stderr ?? '') ? `: ${dawnReason(r.stderr ?? '')}` : ''}` };
  }
  if (parsed === null) return probed = classifyNoAdapter(r.stderr ?? '');
  const p = parsed as { error?: string; vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  if (p.error) return probed = { ok: false, problem: 'none', reason: `requestAdapter failed: ${p.error}${dawnReason(r.stderr ?? '') ? ` (Dawn: ${dawnReason(r.stderr ?? '')})` : ''}` };
  const adapter: AdapterInfo = {
    vendor: p.vendor ?? '', architecture: p.architecture ?? '', device: p.device ?? '',
    description: p.description || [p.vendor, p.device].filter(Boolean).join(' ') || 'unnamed adapter',
    software: isSoftwareAdapter(p),
  };
  return probed = { ok: true, adapter };
}

/**
 * The environment Dawn runs in: with XDG_RUNTIME_DIR set (Dawn's Vulkan
 * loader warns on every start without it, e.g. in containers and CI).
 */
function dawnEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return env.XDG_RUNTIME_DIR ? env : { ...env, XDG_RUNTIME_DIR: os.tmpdir() };
}

/** Error for a synchronous read of device data (see reads.ts). */
export class SyncReadError extends Error {
  constructor() {
    super('a synchronous read (dataSync/arraySync/bufferSync) of a tensor on the webgpu backend: WebGPU in Node can only read '
      + 'asynchronously (await tensor.data()). This is a bug in the code that read it (see src/engine/reads.ts); '
      + 'meanwhile CELLAB_BACKEND=wasm runs it.');
    this.name = 'SyncReadError';
  }
}

/**
 * Error for work the WebGPU device rejected (a validation error: a kernel
 * tfjs could not run here). Dawn then drops the whole command buffer it was
 * in, so every result computed since may be wrong: reads fail from then on.
 */
export class WebGpuDeviceError extends Error {
  constructor(readonly dawnMessage: string) {
    super(`the WebGPU device rejected work, so results computed since are invalid (Dawn: ${dawnMessage.split('\n')[0].trim()}). `
      + 'This is a bug in cellab or @tensorflow/tfjs-backend-webgpu: please report it with the message above; meanwhile CELLAB_BACKEND=wasm runs it.');
    this.name = 'WebGpuDeviceError';
  }
}

interface WebGpuBackendInternals {
  readSync(dataId: object): unknown;
  read(dataId: object): Promise<unknown>;
  tensorMap: { get(dataId: object): { values?: unknown; dtype: string } | undefined };
  device: { addEventListener(type: 'uncapturederror', f: (e: { error?: { message?: string } }) => void): void };
}

const guarded = new WeakSet<object>();

/**
 * Reads that say what went wrong: a synchronous read of device data throws
 * SyncReadError (tfjs would warn, then fail on Node's missing
 * OffscreenCanvas); once the device has rejected work, every read throws
 * WebGpuDeviceError (tfjs would return zeros and carry on).
 */
function guardReads(b: WebGpuBackendInternals): void {
  if (guarded.has(b)) return;
  guarded.add(b);
  let rejected: string | undefined;
  b.device.addEventListener('uncapturederror', (e) => { rejected ??= e.error?.message ?? String(e); });
  const readSync = b.readSync.bind(b), read = b.read.bind(b);
  b.readSync = (dataId: object) => {
    const d = b.tensorMap.get(dataId);
    if (d && (d.values != null || d.dtype === 'string')) return readSync(dataId);
    throw new SyncReadError();
  };
  b.read = async (dataId: object) => {
    const values = await read(dataId);
    // Device errors arrive as events: by the time a read has completed, those of the work before it have.
    if (rejected !== undefined) throw new WebGpuDeviceError(rejected);
    return values;
  };
}

/**
 * Start tfjs' webgpu backend on Dawn in this process. Throws with the reason
 * (the caller wraps it in a BackendUnavailableError).
 */
export async function startWebGpu(): Promise<void> {
  if (!process.env.XDG_RUNTIME_DIR) process.env.XDG_RUNTIME_DIR = os.tmpdir();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dawn = require(WEBGPU_PACKAGES.dawn) as { create(flags: string[]): object; globals: Record<string, unknown> };
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(dawn.globals)) if (!(k in g)) g[k] = v;
  // Node 21+ has a navigator without gpu; Node 20 has none.
  const nav = (g.navigator ?? {}) as Record<string, unknown>;
  if (!nav.gpu) Object.defineProperty(nav, 'gpu', { value: dawn.create([]), configurable: true, writable: true });
  if (g.navigator !== nav) Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true, writable: true });
  // The package registers the backend on import, only when navigator.gpu exists.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(WEBGPU_PACKAGES.backend);
  if (!tf.findBackendFactory('webgpu')) throw new Error(`${WEBGPU_PACKAGES.backend} loaded but registered no webgpu backend`);
  // After a failed init tf.getBackend() still says webgpu: only the return value tells.
  let ok: boolean;
  try {
    ok = await tf.setBackend('webgpu');
  } catch (err) {
    throw new Error(`the webgpu backend failed to start: ${(err as Error).message}`);
  }
  if (!ok) throw new Error('the webgpu backend failed to start (tf.setBackend returned false; Dawn\'s messages are above)');
  registerWebGpuKernels();
  guardReads(tf.backend() as unknown as WebGpuBackendInternals);
}
