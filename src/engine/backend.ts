// Picks the TF.js backend: tensorflow-gpu > webgpu (on a hardware adapter) >
// tensorflow > wasm > cpu. The native backends are optional packages (they
// download libtensorflow at install time, which fails on machines without
// internet), and so is WebGPU (Dawn's prebuilt binding): all are found at run
// time, never imported statically. A software WebGPU adapter (lavapipe) is
// never picked automatically: it is slower than wasm; CELLAB_BACKEND=webgpu
// forces it (device `cpu-emulated`).
import * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { registerWasmGradientKernels } from './wasm-kernels';
import { registerConvForwardKernels } from './conv-forward';
import { registerBatchNormApplyKernel } from './batch-norm-apply';
import { installTapeClone } from './tape-clone';
import { registerPassThroughGradients } from './pass-through-grads';
import { registerReluGradient } from './relu-grad';
import { registerSliceRowsKernel } from './slice-rows';
import { registerZeroPadKernel } from './zero-pad';
import { registerPooledAddKernel } from './pooled-add';
import { registerBatchNormGradient } from './batch-norm-grad';
import { registerMeanGradient } from './mean-grad';
import { registerLeadingAxesReduce } from './leading-axes-reduce';
import { registerMatMulFastPath } from './matmul-fast-path';
import { registerBatchNormTrainKernels } from './batch-norm-train';
import { registerBiasReluKernels } from './bias-relu';
import { prepareThreadedWasm, unrefPthreadWorkers } from './wasm-threads';
import { setKernelThreads, simdKernelsStatus } from './simd-kernels';
import { ADAPTER_HELP, startWebGpu } from './webgpu';
import { startAdapterProbe, type AdapterProbe } from './adapter-probe';

export const BACKENDS = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

/** What a run is tagged with: `cellab.backend` and `cellab.device`. */
export interface EngineInfo {
  backend: BackendName;
  /** `cpu`, `gpu`, or `cpu-emulated` (WebGPU on a software adapter) — what the run's compute happened on. */
  device: string;
  /** The WebGPU adapter's description (webgpu only). */
  adapter?: string;
  /** Human-readable detail: library, SIMD, threads. */
  detail: string;
  threads: number;
  forced: boolean;
  /** Backends tried before this one and why they were not used. */
  skipped: { backend: BackendName; reason: string }[];
  /** What runs slower than it could here and why (wasm threads, cellab's SIMD kernels); also in `detail`. */
  fallbacks?: string[];
}

const PACKAGES: Record<BackendName, string> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  webgpu: 'webgpu (Dawn) + @tensorflow/tfjs-backend-webgpu',
  tensorflow: '@tensorflow/tfjs-node',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs',
};

export class BackendUnavailableError extends Error {
  constructor(readonly backend: BackendName, readonly packageName: string, readonly reason: string) {
    super(`backend '${backend}' is not available: ${packageName} ${reason}`);
    this.name = 'BackendUnavailableError';
  }
}

export interface InitEngineOptions {
  /** Force one backend; default: `CELLAB_BACKEND` or the first that loads. */
  backend?: BackendName | 'auto';
  /** wasm threads (default: CELLAB_WASM_THREADS, else 1); more than 1 uses the threaded build. */
  threads?: number;
  /**
   * Of those, how many XNNPACK's own operators (tfjs' kernels) use; cellab's kernels always
   * use all of them. Default: all; CELLAB_XNNPACK_THREADS overrides. 1 suits nets whose work
   * runs in cellab's kernels (resnets): XNNPACK's pool spins between its operators and takes
   * the second core from cellab's (resnet18 on 2 threads: 793-805 vs 686-709 img/s training).
   */
  xnnpackThreads?: number;
  /** Where the "backend: ..." line goes; null to stay silent. */
  log?: ((line: string) => void) | null;
}

let current: EngineInfo | undefined;

/** The `cellab.device` tag: the device, and for webgpu the adapter (`cpu-emulated (llvmpipe: Mesa 25.0.7 ...)`). */
export function deviceTag(info: Pick<EngineInfo, 'device' | 'adapter'>): string {
  return info.adapter ? `${info.device} (${info.adapter})` : info.device;
}

/** The backend chosen by the last initEngine(), if any. */
export function engineInfo(): EngineInfo | undefined {
  return current;
}

export function parseBackendName(value: string, source: string): BackendName | 'auto' {
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'auto') return 'auto';
  if ((BACKENDS as readonly string[]).includes(v)) return v as BackendName;
  throw new Error(`${source}=${value} is not a backend. Use one of: ${BACKENDS.join(', ')} (or auto).`);
}

function explainLoadError(name: BackendName, err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const msg = String(e?.message ?? err).split('\n')[0];
  if (e?.code === 'MODULE_NOT_FOUND' && msg.includes(PACKAGES[name])) {
    if (name === 'tensorflow-gpu') {
      return 'is not installed (opt-in: `npm install @tensorflow/tfjs-node-gpu` downloads a GPU build of libtensorflow and needs CUDA 11.2 + cuDNN 8.1; see environment.md)';
    }
    if (name === 'tensorflow') {
      return 'is not installed (it is an optional dependency whose install downloads libtensorflow; on a machine with internet, `npm install @tensorflow/tfjs-node`; see environment.md)';
    }
    return 'is not installed (run `npm install`)';
  }
  if (/libcud|libcublas|libcudnn|libcufft|libcurand|libcusolver|libcusparse|cuda/i.test(msg)) {
    return `is installed but the CUDA libraries are missing or the wrong version (needs CUDA 11.2 + cuDNN 8.1): ${msg}`;
  }
  if (/libtensorflow|tfjs_binding|\.node\b/.test(msg)) {
    return `is installed but its native library did not load (libtensorflow missing: reinstall it with internet access): ${msg}`;
  }
  return `failed to load: ${msg}`;
}

async function loadNative(name: 'tensorflow-gpu' | 'tensorflow'): Promise<void> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(PACKAGES[name]);
  } catch (err) {
    throw new BackendUnavailableError(name, PACKAGES[name], explainLoadError(name, err));
  }
  if (!(await tf.setBackend('tensorflow'))) {
    throw new BackendUnavailableError(name, PACKAGES[name], 'loaded but the tensorflow backend failed to initialise');
  }
}

/** Why a failed adapter probe means no webgpu, and what to install. */
function adapterProblem(p: Exclude<AdapterProbe, { ok: true }>): string {
  if (p.problem === 'not-installed') return `are optional dependencies and not installed here (${p.reason})`;
  return `are installed, but there is no usable WebGPU adapter: ${p.reason}. To get one: ${ADAPTER_HELP}`;
}

/** WebGPU on Dawn; `auto` takes only a hardware adapter. */
async function loadWebGpu(auto: boolean): Promise<{ adapter: string; software: boolean }> {
  // Usually answered already: run-experiment starts the probe before loading its modules.
  const probe = await startAdapterProbe();
  if (!probe.ok) throw new BackendUnavailableError('webgpu', PACKAGES.webgpu, adapterProblem(probe));
  const { adapter } = probe;
  if (auto && adapter.software) {
    throw new BackendUnavailableError('webgpu', PACKAGES.webgpu, `are installed, but the only adapter is a software one (${adapter.description}): `
      + 'WebGPU emulated on the CPU, slower than wasm, so it is not picked automatically; CELLAB_BACKEND=webgpu forces it');
  }
  try {
    await startWebGpu();
  } catch (err) {
    throw new BackendUnavailableError('webgpu', PACKAGES.webgpu, `are installed and Dawn offers ${adapter.description}, but ${(err as Error).message}`);
  }
  return { adapter: adapter.description, software: adapter.software };
}

type WasmPackage = typeof import('@tensorflow/tfjs-backend-wasm');

/** tf.setBackend('wasm') with `threads` threads (the threaded build when > 1), `xnnpack` of them for XNNPACK's operators. */
async function startWasm(wasm: WasmPackage, threads: number, xnnpack = threads): Promise<number> {
  wasm.setThreadsCount(Math.min(xnnpack, threads));
  const restore = threads > 1 ? prepareThreadedWasm(threads) : undefined;
  if (!restore) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  // The emscripten glue adds process-wide handlers that rethrow every uncaught
  // error from inside its minified source, burying the real message under a
  // 30 kB line. Keep the handlers that existed before it.
  const before = {
    uncaughtException: process.listeners('uncaughtException'),
    unhandledRejection: process.listeners('unhandledRejection'),
  };
  let ok = false;
  try {
    ok = await tf.setBackend('wasm');
  } catch (err) {
    throw new BackendUnavailableError('wasm', PACKAGES.wasm, `failed to initialise: ${(err as Error).message}`);
  } finally {
    restore?.();
    for (const l of process.listeners('uncaughtException')) {
      if (!before.uncaughtException.includes(l)) process.removeListener('uncaughtException', l);
    }
    for (const l of process.listeners('unhandledRejection')) {
      if (!before.unhandledRejection.includes(l)) process.removeListener('unhandledRejection', l);
    }
  }
  if (!ok) throw new BackendUnavailableError('wasm', PACKAGES.wasm, 'failed to initialise (WebAssembly unavailable?)');
  if (restore) unrefPthreadWorkers(tf.backend());
  // The threaded build's memory is shared: cellab's kernel pool runs `threads` threads on it whatever XNNPACK's count.
  return restore ? threads : wasm.getThreadsCount();
}

/** The wasm backend, with what fell back (said once, in the engine line). */
async function loadWasm(threads: number, xnnpack: number): Promise<{ simd: boolean; threads: number; xnnpack: number; fallbacks: string[] }> {
  let wasm: WasmPackage;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    wasm = require('@tensorflow/tfjs-backend-wasm');
  } catch (err) {
    throw new BackendUnavailableError('wasm', PACKAGES.wasm, explainLoadError('wasm', err));
  }
  let actual: number;
  const fallbacks: string[] = [];
  try {
    actual = await startWasm(wasm, threads, xnnpack);
  } catch (err) {
    if (threads <= 1) throw err;
    fallbacks.push(`${threads} threads asked, but multithreaded wasm did not start (${(err as Error).message}): set CELLAB_WASM_THREADS=1 to skip the attempt`);
    actual = await startWasm(wasm, 1);
  }
  setKernelThreads(actual);
  registerWasmGradientKernels();
  registerConvForwardKernels();
  registerBatchNormApplyKernel();
  registerSliceRowsKernel();
  registerZeroPadKernel();
  registerPooledAddKernel();
  registerBatchNormGradient();
  registerMeanGradient();
  registerLeadingAxesReduce();
  registerMatMulFastPath();
  registerBatchNormTrainKernels();
  registerBiasReluKernels();
  installTapeClone();
  registerPassThroughGradients();
  registerReluGradient();
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
  const own = simdKernelsStatus();
  if (!own.kernels) fallbacks.push(`cellab SIMD kernels off (${own.problem}): slower JavaScript gradients`);
  else if (own.problem) fallbacks.push(`cellab SIMD kernels: ${own.problem}`);
  return { simd, threads: actual, xnnpack: wasm.getThreadsCount(), fallbacks };
}

/**
 * Status lines go to stderr, except inside a tslab (Jupyter) kernel, where stderr shows as
 * a red box, as if something had failed: there they go to stdout.
 */
function defaultLog(line: string): void {
  const inKernel = Object.keys(require.cache).some((k) => k.replace(/\\/g, '/').endsWith('tslab/dist/jupyter.js'));
  (inKernel ? process.stdout : process.stderr).write(line + '\n');
}

/**
 * XNNPACK's share of `threads`: CELLAB_XNNPACK_THREADS if set, else the option, else all;
 * a whole number from 1 to `threads` (an error names the variable otherwise).
 */
export function resolveXnnpackThreads(option: number | undefined, env: string | undefined, threads: number): number {
  const fromEnv = env?.trim();
  if (fromEnv) {
    const n = Number(fromEnv);
    if (!Number.isInteger(n) || n < 1) throw new Error(`CELLAB_XNNPACK_THREADS must be a whole number >= 1 (got '${env}'): unset it to let XNNPACK use every thread`);
    return Math.min(n, threads);
  }
  return Math.max(1, Math.min(option ?? threads, threads));
}

/** The wasm build's thread pool holds 8 workers; tfjs caps its thread count there. */
export const MAX_WASM_THREADS = 8;

/** Cores this process may use. */
export function coreCount(): number {
  return os.availableParallelism ? os.availableParallelism() : os.cpus().length;
}

/**
 * wasm threads: the `threads` option, else CELLAB_WASM_THREADS, else one per
 * core (a single run uses the machine; sweep workers get cores / workers each).
 * Capped at MAX_WASM_THREADS; anything but a whole number >= 1 is an error.
 */
export function resolveWasmThreads(option: number | undefined, env: string | undefined, cores = coreCount()): number {
  const [value, source] = option !== undefined ? [option, 'the threads option'] : [env?.trim() || undefined, 'CELLAB_WASM_THREADS'];
  if (value === undefined) return Math.max(1, Math.min(cores, MAX_WASM_THREADS));
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`${source}=${value} is not a thread count: use a whole number from 1 to ${MAX_WASM_THREADS} (threads of the wasm backend).`);
  }
  return Math.min(n, MAX_WASM_THREADS);
}

/**
 * Choose and initialise the backend. Idempotent: a second call returns the
 * current backend unless a different one is requested.
 */
export async function initEngine(opts: InitEngineOptions = {}): Promise<EngineInfo> {
  const envChoice = process.env.CELLAB_BACKEND ? parseBackendName(process.env.CELLAB_BACKEND, 'CELLAB_BACKEND') : 'auto';
  const requested = opts.backend && opts.backend !== 'auto' ? opts.backend : envChoice;
  if (current && (requested === 'auto' || requested === current.backend)) return current;
  const log = opts.log === undefined ? defaultLog : opts.log;
  // The cpu backend greets Node users with a banner recommending tfjs-node;
  // cellab reports the backend itself.
  tf.env().set('PROD', true);
  const threads = resolveWasmThreads(opts.threads, process.env.CELLAB_WASM_THREADS);
  const order: BackendName[] = requested === 'auto' ? [...BACKENDS] : [requested];
  const skipped: EngineInfo['skipped'] = [];
  for (const name of order) {
    try {
      let info: EngineInfo;
      if (name === 'webgpu') {
        const w = await loadWebGpu(requested === 'auto');
        info = { backend: 'webgpu', device: w.software ? 'cpu-emulated' : 'gpu', adapter: w.adapter,
          detail: `WebGPU on Dawn, adapter ${w.adapter}${w.software ? ' (software: emulated on the CPU, slow)' : ''}`,
          threads: 1, forced: requested !== 'auto', skipped };
      } else if (name === 'tensorflow-gpu' || name === 'tensorflow') {
        await loadNative(name);
        info = { backend: name, device: name === 'tensorflow-gpu' ? 'gpu' : 'cpu',
          detail: `libtensorflow via ${PACKAGES[name]}`, threads: os.cpus().length, forced: requested !== 'auto', skipped };
      } else if (name === 'wasm') {
        const w = await loadWasm(threads, resolveXnnpackThreads(opts.xnnpackThreads, process.env.CELLAB_XNNPACK_THREADS, threads));
        const xnn = w.xnnpack < w.threads ? ` (XNNPACK operators on ${w.xnnpack})` : '';
        info = { backend: 'wasm', device: 'cpu', detail: [`wasm${w.simd ? ' simd' : ''}, ${w.threads} thread${w.threads > 1 ? 's' : ''}${xnn}`, ...w.fallbacks].join('; '),
          threads: w.threads, forced: requested !== 'auto', skipped, fallbacks: w.fallbacks };
      } else {
        if (!(await tf.setBackend('cpu'))) throw new BackendUnavailableError('cpu', PACKAGES.cpu, 'failed to initialise');
        // Falling past wasm (a dependency, so expected to load) must say why: the run is ~100x slower.
        const wasmSkipped = skipped.find((s) => s.backend === 'wasm');
        info = { backend: 'cpu', device: 'cpu', detail: `pure JavaScript (slow: for checks only)${wasmSkipped ? `; wasm did not start: ${wasmSkipped.reason}` : ''}`, threads: 1,
          forced: requested !== 'auto', skipped };
      }
      await tf.ready();
      current = info;
      log?.(`cellab: backend ${info.backend} (${info.device}; ${info.detail})`);
      return info;
    } catch (err) {
      if (requested !== 'auto') {
        if (err instanceof BackendUnavailableError) {
          throw new BackendUnavailableError(err.backend, err.packageName,
            `${err.reason}. It was requested by ${opts.backend && opts.backend !== 'auto' ? 'the backend option' : 'CELLAB_BACKEND'}; unset it to pick the best available backend.`);
        }
        throw err;
      }
      skipped.push({ backend: name, reason: err instanceof BackendUnavailableError ? err.reason : String(err) });
    }
  }
  throw new Error(`no TF.js backend could be loaded: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`);
}
