// Prepare many images on the main thread plus worker threads. The main thread
// starts decoding at once; after DECIDE_AFTER_MS it knows the cost per image
// and starts (or reuses) workers only if the work left is worth it. All threads
// take items one by one from one queue (an atomic counter in shared memory), so
// no thread holds a backlog when the others run dry; workers return their pixels
// transferred, not copied, and are kept for the process (unref'ed while idle).
// Falls back to the main thread when workers cannot start (e.g. a notebook kernel
// that compiles TypeScript itself; said once on stderr).
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ImageConfig } from './schema';
import type { DatasetItem } from './types';
import { prepareImage, type ImageItem, type PreparedImage } from './image';
import { DecodeError } from './decode/index';
import { QUEUE_NEXT, QUEUE_STOP, type PrepareJob, type PrepareJobReply } from './prepare-queue';

export type { PrepareJob, PrepareJobReply, PrepareReply } from './prepare-queue';
export type PrepareResult = { ok: true; image: PreparedImage } | { ok: false; file: string; problem: string };

/** What one prepareMany did (for tests and benchmarks). */
export interface PrepareTrace {
  /** Workers asked for: 0 when the job was too small to be worth one. */
  wanted: number;
  /** Of those, how many were already running (kept from an earlier job). */
  reused: number;
  /** ms from the job's start until each worker was given the job. */
  joinedMs: number[];
  /** Images prepared by the main thread and by workers. */
  mainItems: number;
  workerItems: number;
  /** The main thread's ms per image when the decision was taken (NaN if not taken). */
  msPerItem: number;
}

/**
 * The main thread decodes this long before deciding on workers: its first
 * images carry the JIT's warm-up, so a shorter look overestimates the work.
 */
const DECIDE_AFTER_MS = 15;
/**
 * A new worker is started only if each thread would still have this much of the
 * work left (so the first worker needs >= 200 ms of single-thread work left, ~4x
 * its start-up). Measured on 2 cores: a compiled worker is ready 45 ms after
 * `new Worker` with the machine idle, 140-290 ms at load 5-9, and its first images
 * run slower (cold JIT); the main thread never waits for it, so a late worker
 * costs CPU, not time. The crossover itself could not be measured idle (the
 * machine stayed at load 5-9, with ~1 core free, where no worker count helps).
 */
const COLD_WORTH_MS = 100;
/** A worker kept from an earlier job costs only messages (~0 ms to join): worth it for much less. */
const WARM_WORTH_MS = 10;
/** With workers running, the main thread lets their results in at least this often. */
const YIELD_MS = 4;
/** A worker that has not loaded by then is given up on. */
const READY_TIMEOUT_MS = 30_000;

/** Threads for preparing images, the main one included: the cores, at most 4. */
export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(4, os.availableParallelism?.() ?? os.cpus().length));
}

/**
 * How many workers to add, given the main thread's measured cost per image and
 * the images left: each one must have at least `worth` ms of the remaining work.
 */
export function workersWorthStarting(msPerItem: number, itemsLeft: number, maxExtra: number, warm: number): number {
  const left = msPerItem * itemsLeft;
  let n = 0;
  // Each extra thread splits the work further; count while its share still pays.
  while (n < maxExtra && left / (n + 2) >= (n < warm ? WARM_WORTH_MS : COLD_WORTH_MS)) n++;
  return n;
}

// ---- The process's pool of idle workers ----------------------------------

const idle: Worker[] = [];
/** Workers could not start in this process: not tried again (the reason is said once). */
let poolProblem: string | undefined;
let fallbackSaid = false;

/** A started worker, ready for batches, or why none could start. */
async function startWorker(): Promise<Worker | string> {
  const ext = path.extname(__filename);
  const file = path.join(__dirname, `prepare-worker${ext}`);
  let w: Worker;
  try {
    // execArgv []: the parent's loader flags (tsx's --import under the bench and tests) would load
    // into the worker too: 160-200 ms to start instead of 45 ms. From source the worker registers tsx itself.
    w = file.endsWith('.ts')
      ? new Worker(`require('tsx/cjs/api').register(); require(${JSON.stringify(file)});`, { eval: true, execArgv: [] })
      : new Worker(file, { execArgv: [] });
  } catch (err) {
    return (err as Error).message;
  }
  const problem = await new Promise<string | undefined>((resolve) => {
    const done = (why: string | undefined) => {
      clearTimeout(timer);
      w.off('message', onMessage); w.off('error', onError); w.off('exit', onExit);
      resolve(why);
    };
    const onMessage = (m: unknown) => done(m === 'ready' ? undefined : `answered ${JSON.stringify(m)}`);
    const onError = (err: Error) => done(err.message);
    const onExit = (code: number) => done(`exited with code ${code} while loading`);
    const timer = setTimeout(() => done(`no answer within ${READY_TIMEOUT_MS / 1000} s`), READY_TIMEOUT_MS);
    w.on('message', onMessage); w.on('error', onError); w.on('exit', onExit);
  });
  if (problem) { await w.terminate(); return problem; }
  // An idle worker that dies is simply dropped from the pool.
  w.on('exit', () => { const k = idle.indexOf(w); if (k >= 0) idle.splice(k, 1); });
  return w;
}

/** Keep workers for the next job, unref'ed so that they never keep the process alive. */
function release(ws: Worker[]): void {
  for (const w of ws) {
    w.unref();
    idle.push(w);
  }
}

/** Stop the kept workers (tests and benchmarks that want a cold start). */
export async function closePrepareWorkers(): Promise<void> {
  await Promise.all(idle.splice(0).map((w) => w.terminate()));
}

/** Workers were wanted and none started: say so once per process (decoding still works, on the main thread). */
function sayFallback(problem: string): void {
  if (fallbackSaid) return;
  fallbackSaid = true;
  process.stderr.write(`cellab: image-preparing worker threads did not start (${problem}); decoding on the main thread only, which is slower\n`);
}

async function inProcess(item: DatasetItem, image: ImageConfig): Promise<PrepareResult> {
  try {
    return { ok: true, image: await prepareImage(item, image) };
  } catch (err) {
    if (err instanceof DecodeError) return { ok: false, file: err.file, problem: err.problem };
    throw err;
  }
}

/**
 * Prepare `items` (in any order), calling `onResult` as each finishes.
 * `workers` counts threads including the main one (default: defaultWorkerCount());
 * 1 = main thread only. Whether workers are used at all is decided from the
 * main thread's measured cost per image (workersWorthStarting).
 * Returns how many threads prepared images (the main one always counts).
 */
export async function prepareMany(items: DatasetItem[], image: ImageConfig, onResult: (index: number, r: PrepareResult) => void,
  o: {
    workers?: number;
    /** false: leave everything to the workers, started at once (tests). */ mainThread?: boolean;
    trace?: PrepareTrace;
  } = {}): Promise<number> {
  const t0 = performance.now();
  const maxExtra = Math.max(0, (o.workers ?? defaultWorkerCount()) - 1);
  const trace: PrepareTrace = o.trace ?? { wanted: 0, reused: 0, joinedMs: [], mainItems: 0, workerItems: 0, msPerItem: NaN };
  Object.assign(trace, { wanted: 0, reused: 0, joinedMs: [], mainItems: 0, workerItems: 0, msPerItem: NaN });
  const queue = new Int32Array(new SharedArrayBuffer(8));
  const take = () => Atomics.add(queue, QUEUE_NEXT, 1);
  const left = () => Math.max(0, items.length - Atomics.load(queue, QUEUE_NEXT));
  let failure: Error | undefined;
  const fail = (err: Error) => { failure ??= err; Atomics.store(queue, QUEUE_STOP, 1); };
  const joined: Worker[] = [];
  const used = new Set<Worker>();
  const running: Promise<void>[] = [];
  const feeding: Promise<void>[] = [];
  let over = false;
  let workerProblem: string | undefined;
  let jobItems: ImageItem[] | undefined;

  /** One worker works on the job until the queue is empty (or something failed). */
  const feed = (w: Worker) => new Promise<void>((resolve) => {
    const end = () => {
      w.off('message', onMessage); w.off('error', onError); w.off('exit', onExit);
      resolve();
    };
    const onMessage = (m: PrepareJobReply) => {
      if (m.replies.length > 0) used.add(w);
      for (const r of m.replies) {
        trace.workerItems++;
        try {
          if (r.ok) onResult(r.id, { ok: true, image: { pixels: r.pixels, bitDepth: r.bitDepth, mean: r.mean, width: r.width, height: r.height } });
          else if (r.bug) fail(new Error(`preparing ${items[r.id].path} failed: ${r.bug}`));
          else onResult(r.id, { ok: false, file: r.file, problem: r.problem });
        } catch (err) {
          fail(err as Error);
        }
      }
      if (m.done) end();
    };
    const onError = (err: Error) => { fail(new Error(`an image-preparing worker crashed: ${err.message}`)); end(); };
    const onExit = (code: number) => { fail(new Error(`an image-preparing worker stopped (exit code ${code}) while preparing images`)); end(); };
    w.on('message', onMessage);
    w.once('error', onError);
    w.once('exit', onExit);
    // Only what preparing reads: cloning whole items (labels, extras) would cost the main thread more.
    jobItems ??= items.map((it) => ({ path: it.path, maskPath: it.maskPath, crop: it.crop, channelPaths: it.channelPaths }));
    w.postMessage({ image, items: jobItems, queue: queue.buffer as SharedArrayBuffer } satisfies PrepareJob);
  });

  const join = async (w: Worker | undefined): Promise<void> => {
    const got = w ?? (poolProblem ?? await startWorker());
    if (typeof got === 'string') { poolProblem ??= got; workerProblem ??= got; return; }
    // Ready after the main thread finished everything: nothing to wait for, keep it for the next job.
    if (over || failure || left() === 0) { release([got]); return; }
    got.ref();
    joined.push(got);
    trace.joinedMs.push(performance.now() - t0);
    const fed = feed(got);
    feeding.push(fed);
    await fed;
  };

  const addWorkers = (n: number) => {
    trace.wanted = n;
    for (let k = 0; k < n; k++) {
      const warm = idle.pop();
      if (warm) trace.reused++;
      running.push(join(warm));
    }
  };

  const runMain = async (): Promise<void> => {
    if (o.mainThread === false && maxExtra > 0) {
      addWorkers(maxExtra);
      await Promise.all(running);
      if (joined.length > 0) return;
    }
    let decided = maxExtra === 0 || running.length > 0;
    let lastYield = performance.now();
    const start = lastYield;
    let done = 0;
    while (!failure) {
      const id = take();
      if (id >= items.length) break;
      try {
        onResult(id, await inProcess(items[id], image));
      } catch (err) {
        fail(err as Error);
      }
      done++;
      trace.mainItems++;
      const now = performance.now();
      if (!decided && now - start >= DECIDE_AFTER_MS) {
        decided = true;
        trace.msPerItem = (now - start) / done;
        const n = workersWorthStarting(trace.msPerItem, left(), maxExtra, idle.length);
        if (n > 0) addWorkers(n);
      }
      if (running.length > 0 && now - lastYield >= YIELD_MS) {
        await new Promise((r) => setImmediate(r));
        lastYield = performance.now();
      }
    }
  };

  await runMain();
  // Workers still starting are not waited for (they join the pool when ready); the others finish their last item.
  over = true;
  await Promise.all(feeding);
  if (failure) {
    // A worker that failed may be in any state: do not keep it.
    await Promise.all(joined.map((w) => w.terminate()));
    throw failure;
  }
  release(joined);
  if (trace.wanted > 0 && joined.length === 0 && workerProblem) sayFallback(workerProblem);
  return 1 + used.size;
}
