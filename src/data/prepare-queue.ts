// Messages between the prepare pool (main thread) and its workers. Kept apart
// from prepare-pool.ts so that a worker loads nothing it does not run.
import type { ImageConfig } from './schema';
import type { ImageItem, PreparedImage } from './image';

/** Int32 slots of a job's shared queue: the next item to take, and a stop flag (set on failure). */
export const QUEUE_NEXT = 0;
export const QUEUE_STOP = 1;

/** One job for a worker: the whole list; it takes items by bumping QUEUE_NEXT in `queue` (a SharedArrayBuffer). */
export interface PrepareJob { image: ImageConfig; /** Without labels and extras: what preparing reads. */ items: ImageItem[]; queue: SharedArrayBuffer }
export type PrepareReply =
  | ({ id: number; ok: true } & PreparedImage)
  | { id: number; ok: false; file: string; problem: string; bug?: string };
/** A group of results; `done`: the worker took its last item of the job. */
export interface PrepareJobReply { replies: PrepareReply[]; done: boolean }
