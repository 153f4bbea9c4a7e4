// Prepare many images with worker threads (one per core, capped), falling
// back to the main thread when workers cannot start (e.g. a notebook kernel
// that compiles TypeScript itself; said once on stderr) or the job is small.
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ImageConfig } from './schema';
import type { DatasetItem } from './types';
import { prepareImage, type PreparedImage } from './image';
import { DecodeError } from './decode/index';

export interface PrepareRequest { id: number; item: DatasetItem; image: ImageConfig }
export type PrepareReply =
  | ({ id: number; ok: true } & PreparedImage)
  | { id: number; ok: false; file: string; problem: string; bug?: string };

export type PrepareResult = { ok: true; image: PreparedImage } | { ok: false; file: string; problem: string };

/** Below this many images, starting workers costs more than it saves. */
const MIN_ITEMS_FOR_WORKERS = 200;
/**
 * Without an explicit `workers`, threads are used from this many images on:
 * a worker took 0.3-0.5 s to start (2 busy cores; bench/data.bench.ts) while it loaded
 * sharp; with sharp loaded on first use (PNG/BMP never need it) 0.16 s at load 14.
 */
const DEFAULT_MIN_ITEMS_FOR_WORKERS = 4000;
const IN_FLIGHT_PER_WORKER = 4;

/** Threads for preparing images, the main one included: the cores, at most 4. */
export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(4, os.availableParallelism?.() ?? os.cpus().length));
}

/** A worker that answers, or why none could start. */
async function startWorker(): Promise<Worker | string> {
  const ext = path.extname(__filename);
  const file = path.join(__dirname, `prepare-worker${ext}`);
  let w: Worker;
  try {
    // Loader flags (tsx's --import) do not reach worker threads: register tsx inside the worker when running from source.
    w = file.endsWith('.ts')
      ? new Worker(`require('tsx/cjs/api').register(); require(${JSON.stringify(file)});`, { eval: true })
      : new Worker(file);
  } catch (err) {
    return (err as Error).message;
  }
  const problem = await new Promise<string | undefined>((resolve) => {
    const timer = setTimeout(() => resolve('no answer within 30 s'), 30_000);
    w.once('message', (m) => { clearTimeout(timer); resolve(m === 'pong' ? undefined : `answered ${JSON.stringify(m)}`); });
    w.once('error', (err) => { clearTimeout(timer); resolve(err.message); });
    w.postMessage('ping');
  });
  if (!problem) return w;
  await w.terminate();
  return problem;
}

let fallbackSaid = false;

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
 * Prepare `items` (in any order), calling `onResult` as each finishes. The
 * main thread starts at once and workers join as they come up (starting one
 * takes a few hundred ms), all taking the next item from one queue.
 * `workers` counts threads including the main one; 1 = main thread only.
 * Returns how many threads prepared at least one image.
 */
export async function prepareMany(items: DatasetItem[], image: ImageConfig, onResult: (index: number, r: PrepareResult) => void,
  o: { workers?: number; /** false: leave everything to the workers (tests). */ mainThread?: boolean } = {}): Promise<number> {
  const enough = items.length >= (o.workers === undefined ? DEFAULT_MIN_ITEMS_FOR_WORKERS : MIN_ITEMS_FOR_WORKERS);
  const extra = enough ? Math.min((o.workers ?? defaultWorkerCount()) - 1, Math.ceil(items.length / 100)) : 0;
  let next = 0;
  let failure: Error | undefined;
  const workers: Worker[] = [];
  const busy = new Set<Worker>();
  let workerProblem: string | undefined;
  const runWorker = async (): Promise<void> => {
    const w = await startWorker();
    if (typeof w === 'string') { workerProblem ??= w; return; }
    workers.push(w);
    if (failure) return;
    await new Promise<void>((resolve) => {
      let inFlight = 0;
      const finish = () => { w.off('message', onMessage); resolve(); };
      const send = () => {
        while (!failure && inFlight < IN_FLIGHT_PER_WORKER && next < items.length) {
          const id = next++;
          inFlight++;
          w.postMessage({ id, item: items[id], image } satisfies PrepareRequest);
        }
        if (inFlight === 0) finish();
      };
      const onMessage = (r: PrepareReply) => {
        inFlight--;
        busy.add(w);
        if (r.ok) onResult(r.id, { ok: true, image: { pixels: r.pixels, bitDepth: r.bitDepth, mean: r.mean, width: r.width, height: r.height } });
        else if (r.bug) failure ??= new Error(`preparing ${items[r.id].path} failed: ${r.bug}`);
        else onResult(r.id, { ok: false, file: r.file, problem: r.problem });
        send();
      };
      w.on('message', onMessage);
      w.once('error', (err) => { failure ??= new Error(`an image-preparing worker crashed: ${err.message}`); finish(); });
      send();
    });
  };
  const runMain = async (): Promise<void> => {
    if (o.mainThread === false && extra > 0) {
      await Promise.all(pending);
      if (workers.length > 0) return;
    }
    while (!failure && next < items.length) {
      const id = next++;
      try {
        onResult(id, await inProcess(items[id], image));
      } catch (err) {
        failure ??= err as Error;
      }
      // Let worker replies in between items.
      if (extra > 0) await new Promise((r) => setImmediate(r));
    }
  };
  const pending = Array.from({ length: Math.max(0, extra) }, runWorker);
  try {
    await Promise.all([runMain(), ...pending]);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  if (failure) throw failure;
  if (extra > 0 && workers.length === 0 && workerProblem) sayFallback(workerProblem);
  return 1 + busy.size;
}
