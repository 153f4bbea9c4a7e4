// The WebGPU backend in Node: Dawn's Node bindings (npm `webgpu`, a prebuilt
// dawn.node inside the package) give Node a `navigator.gpu` on any GPU with a
// Vulkan driver, and @tensorflow/tfjs-backend-webgpu runs TF.js on it. Both
// are optional dependencies, found at run time.
//
// The adapter is probed in a child Node first (adapter-probe.ts): Dawn's
// messages about refused adapters become the reason in our error.
//
// On this backend synchronous reads (dataSync, arraySync) of data on the
// device are impossible (tfjs reads through an OffscreenCanvas that Node
// lacks): see reads.ts for the rule the training and evaluation code keeps.
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { registerWebGpuKernels } from './webgpu-kernels';
import { WEBGPU_PACKAGES } from './adapter-probe';

// The adapter probe lives in adapter-probe.ts (loaded first by run-experiment: it needs no tfjs).
export { WEBGPU_PACKAGES, WEBGPU_INSTALL, dawnReason, classifyNoAdapter, isSoftwareAdapter, probeAdapter, startAdapterProbe } from './adapter-probe';
export type { AdapterInfo, AdapterProbe } from './adapter-probe';

// What to install where the adapter is missing (environment.md has the details).
export const ADAPTER_HELP = 'on a GPU machine install the driver\'s Vulkan ICD (NVIDIA: the driver\'s Vulkan/GL libraries, e.g. Debian\'s nvidia-vulkan-icd or Ubuntu\'s libnvidia-gl-<version>, and in a container `--gpus all` with NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics; AMD/Intel: mesa-vulkan-drivers); without a GPU, Mesa >= 25\'s lavapipe emulates one on the CPU (slow): `apt-get install -y -t bookworm-backports mesa-vulkan-drivers` (Debian 12\'s own Mesa 22 is refused by Dawn); see environment.md';

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
