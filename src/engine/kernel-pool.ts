// Threads for cellab's SIMD kernels (simd/kernels.c) on the multithreaded wasm
// backend. tfjs-backend-wasm's pthread pool runs only XNNPACK's operators, and
// its workers wait inside C code, so cellab keeps its own: threads - 1 Node
// workers (lib/cellab-kernel-worker.cjs), each with the kernels instantiated
// on the backend's shared memory, plus the main thread. A kernel call is cut
// into chunks (ranges of images, rows, blocks of rows or groups of filter
// taps) that write disjoint outputs, and every thread claims chunks until none
// is left, so a worker that wakes late (or a core busy with something else)
// only means the others do more. Results do not depend on who ran a chunk:
// reductions leave one partial per fixed block, added in block order (see
// kernels.c), so 1 and 2 threads give the same bits.
//
// Control block (Int32 slots of a SharedArrayBuffer; the arguments are float64s):
// CLAIM: (chunks << 16) | next chunk of the open job, 0 when none is open;
// DONE: chunks of the open job finished; WAKE: bumped per job, what idle
// workers sleep on. Per job the main thread writes the function, arguments
// and total, opens the job (CLAIM), bumps WAKE and wakes the workers. Any
// thread takes chunk k with a compare-exchange of CLAIM from (chunks, k) to
// (chunks, k + 1), and only then reads the job's fields: a chunk claimed and
// not yet done keeps its job open (the main thread closes it, CLAIM = 0, when
// DONE reaches chunks, and writes the next job's fields only after that), so
// what a thread reads after claiming belongs to the chunk it holds, however
// late it woke and whatever it saw before. Nothing read before the
// compare-exchange is trusted, so there is no job number to wrap around.
import * as path from 'node:path';
import * as fs from 'node:fs';

/** The worker script; ../../lib from both src/engine (tsx) and dist/engine (tsc). */
export const KERNEL_WORKER = path.join(__dirname, '..', '..', 'lib', 'cellab-kernel-worker.cjs');

const SLOTS = { WAKE: 0, CLAIM: 1, DONE: 2, FN: 3, NARGS: 4, TOTAL: 5, ERROR: 7, READY: 8, WORKER_CHUNKS: 9, ARGS: 16, MAX_ARGS: 32 } as const;
/** Chunks per job: the count sits in CLAIM's upper 16 bits (kept below the sign bit). */
const MAX_CHUNKS = 0x7fff;
/** Polls of WAKE before a worker sleeps (~10-30 us): the kernels of a step come close together. */
const WORKER_SPIN = 20_000;
/** Polls of DONE before the main thread sleeps. */
const MAIN_SPIN = 200_000;

type KernelFn = (...args: number[]) => void;

export class KernelPool {
  private readonly ctl: Int32Array;
  private readonly args: Float64Array;
  private readonly index = new Map<string, number>();
  private readonly workers: import('node:worker_threads').Worker[] = [];

  /**
   * `threads` - 1 workers on `memory` (shared) running `module`'s exports
   * `names`; the main thread runs `fns`. Workers start in the background:
   * until one is up, the main thread runs every chunk.
   */
  constructor(readonly threads: number, module: WebAssembly.Module, memory: WebAssembly.Memory,
    // Not `exports`: tsc's CommonJS output reads this module's exports (KERNEL_WORKER)
    // as `exports.X`, which a parameter of that name would shadow.
    private readonly fns: Record<string, KernelFn>, names: string[]) {
    const control = new SharedArrayBuffer((SLOTS.ARGS + 2 * SLOTS.MAX_ARGS) * 4);
    this.ctl = new Int32Array(control);
    this.args = new Float64Array(control, SLOTS.ARGS * 4, SLOTS.MAX_ARGS);
    names.forEach((n, i) => this.index.set(n, i));
    if (threads > 1) {
      if (!fs.existsSync(KERNEL_WORKER)) throw new Error(`the kernel worker script ${KERNEL_WORKER} is missing (it ships in the package's lib/ folder)`);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { Worker } = require('node:worker_threads') as typeof import('node:worker_threads');
      for (let i = 1; i < threads; i++) {
        // No loader flags (tsx) in the worker: it is plain CommonJS.
        const w = new Worker(KERNEL_WORKER, { execArgv: [], workerData: { module, memory, control, names, slots: SLOTS, spin: WORKER_SPIN } });
        // Waiting for work must not keep the process alive.
        w.unref();
        w.on('error', (err) => { process.stderr.write(`cellab kernel worker stopped: ${err.message}\n`); });
        this.workers.push(w);
      }
    }
  }

  /** Workers that have started (for tests and the engine line). */
  ready(): number {
    return Atomics.load(this.ctl, SLOTS.READY);
  }

  /** Chunks the workers (not the main thread) have run so far. */
  workerChunks(): number {
    return Atomics.load(this.ctl, SLOTS.WORKER_CHUNKS);
  }

  /**
   * Run export `name` as `name(...args, lo, hi)` over [0, total) in chunks of
   * at least `grain` (units of the kernel's range), on every thread.
   */
  run(name: string, args: number[], total: number, grain = 1): void {
    const fn = this.fns[name];
    if (total <= 0) return;
    const chunks = Math.min(MAX_CHUNKS, Math.floor(total / Math.max(1, grain)), 8 * this.threads);
    if (this.threads <= 1 || chunks <= 1 || this.ready() === 0) {
      fn(...args, 0, total);
      return;
    }
    const ctl = this.ctl;
    const fi = this.index.get(name);
    if (fi === undefined) throw new Error(`kernel pool: unknown kernel ${name}`);
    if (args.length > SLOTS.MAX_ARGS) throw new Error(`kernel pool: ${name} has ${args.length} arguments (at most ${SLOTS.MAX_ARGS})`);
    ctl[SLOTS.FN] = fi;
    this.args.set(args);
    ctl[SLOTS.NARGS] = args.length;
    ctl[SLOTS.TOTAL] = total;
    Atomics.store(ctl, SLOTS.DONE, 0);
    Atomics.store(ctl, SLOTS.CLAIM, chunks << 16);
    Atomics.add(ctl, SLOTS.WAKE, 1);
    Atomics.notify(ctl, SLOTS.WAKE);
    const a = [...args, 0, 0], n = args.length;
    let failure: unknown;
    for (;;) {
      const w = Atomics.load(ctl, SLOTS.CLAIM);
      const k = w & 0xffff;
      if (k >= chunks) break;
      if (Atomics.compareExchange(ctl, SLOTS.CLAIM, w, w + 1) !== w) continue;
      a[n] = Math.floor((k * total) / chunks);
      a[n + 1] = Math.floor(((k + 1) * total) / chunks);
      // A failing chunk still counts as done: the job must close before this call returns.
      try { fn(...a); } catch (err) { failure ??= err; }
      Atomics.add(ctl, SLOTS.DONE, 1);
    }
    // Chunks a worker claimed: wait for them (spin first; they are short).
    let done = Atomics.load(ctl, SLOTS.DONE);
    for (let i = 0; done < chunks && i < MAIN_SPIN; i++) done = Atomics.load(ctl, SLOTS.DONE);
    while (done < chunks) {
      Atomics.wait(ctl, SLOTS.DONE, done, 50);
      done = Atomics.load(ctl, SLOTS.DONE);
    }
    // Closed before the next job's fields are written (see the protocol above).
    Atomics.store(ctl, SLOTS.CLAIM, 0);
    if (failure !== undefined) throw failure;
    if (Atomics.exchange(ctl, SLOTS.ERROR, 0)) throw new Error(`cellab SIMD kernel ${name} failed in a worker thread (see its message above)`);
  }

  /** Stops the workers (when the backend this pool served is replaced). Never call it during run(). */
  close(): void {
    for (const w of this.workers.splice(0)) void w.terminate();
  }
}
