// Multithreaded wasm under Node, as a loader wrapper around
// @tensorflow/tfjs-backend-wasm 4.22 (no change to node_modules).
//
// What the package does in Node, and what this changes for the time of
// tf.setBackend('wasm'):
// 1. WASM_HAS_MULTITHREAD_SUPPORT is hard-wired to false when IS_NODE
//    (tfjs issue 3830): set the flag to true (Node >= 16 has SharedArrayBuffer
//    and wasm threads).
// 2. Its locateFile hands Emscripten a blob: URL (URL.createObjectURL of the
//    worker script) for each pthread worker; Node's Worker takes file paths
//    only: answer that call with lib/wasm-pthread-worker.cjs, which runs the
//    same worker script and resolves the factory Blob (mainScriptUrlOrBlob)
//    to the package's wasm-out copy of the factory.
// 3. The C++ side caps the thread count at emscripten_num_logical_cores() / 2
//    (it assumes hyper-threading); on Node that is os.cpus().length / 2, i.e.
//    1 on a 2-core machine: report 2 x threads logical cores during init.
// Also, the pool's workers start without the parent's loader flags (tsx's
// --import would be loaded into each of the 8 workers: 2 s and 90 MB more).
// Afterwards the pool's running workers are unref'ed (Emscripten refs them,
// which would keep the process alive after the work is done).
//
// A loader wrapper rather than an install-time patch: it needs no
// postinstall step or patch tool in package.json, leaves node_modules
// pristine (npm ci, other projects sharing the cache), and if a future tfjs
// changes any of this, initEngine falls back to one thread and says why.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';

/** The worker script; ../../lib from both src/engine (tsx) and dist/engine (tsc). */
export const PTHREAD_WORKER = path.join(__dirname, '..', '..', 'lib', 'wasm-pthread-worker.cjs');

/**
 * Before tf.setBackend('wasm'): make the threaded build load under Node with
 * `threads` threads. Returns the function that undoes the process-wide
 * patches (call it once setBackend has settled).
 */
export function prepareThreadedWasm(threads: number): () => void {
  if (!fs.existsSync(PTHREAD_WORKER)) {
    throw new Error(`the pthread worker script ${PTHREAD_WORKER} is missing (it ships in the package's lib/ folder)`);
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  const createObjectURL = URL.createObjectURL;
  URL.createObjectURL = (obj: Blob) =>
    obj instanceof Blob && obj.type === 'application/javascript' ? PTHREAD_WORKER : createObjectURL(obj);
  // The real module object: `import * as os` would give a copy under CommonJS interop.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const os = require('node:os') as typeof import('node:os');
  const cpus = os.cpus;
  os.cpus = () => {
    const real = cpus();
    return Array.from({ length: 2 * threads }, (_, i) => real[i % Math.max(1, real.length)]);
  };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const threadsModule = require('node:worker_threads') as typeof import('node:worker_threads');
  const Worker = threadsModule.Worker;
  threadsModule.Worker = class extends Worker {
    constructor(file: string | URL, options: import('node:worker_threads').WorkerOptions = {}) {
      super(file, file === PTHREAD_WORKER ? { execArgv: [], ...options } : options);
    }
  };
  return () => {
    URL.createObjectURL = createObjectURL;
    os.cpus = cpus;
    threadsModule.Worker = Worker;
  };
}

interface EmscriptenWorker { unref(): void }
interface WasmModuleLike { PThread?: { runningWorkers: EmscriptenWorker[] } }

/** Let the process exit while the thread pool's workers wait for work. */
export function unrefPthreadWorkers(backend: unknown): void {
  const wasm = (backend as { wasm?: WasmModuleLike }).wasm;
  for (const w of wasm?.PThread?.runningWorkers ?? []) w.unref();
}
