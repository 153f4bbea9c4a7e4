// Worker thread body for the prepare pool: decode + mask + resize off the
// main thread, so preprocessing uses every core. It imports only what
// preparing an image needs (no tfjs, no sharp until a JPEG/TIFF asks for it)
// and says 'ready' once loaded. Per job it takes item after item from the
// queue it shares with the main thread (an atomic counter), and sends the
// results in groups, their pixel buffers transferred, not copied.
import { parentPort } from 'node:worker_threads';
import { prepareImage } from './image';
import { DecodeError } from './decode/index';
import { QUEUE_NEXT, QUEUE_STOP, type PrepareJob, type PrepareJobReply, type PrepareReply } from './prepare-queue';

/** Results go back at least this often (ms) or in groups of this many: one message per image would cost more than small images. */
const SEND_EVERY_MS = 5;
const SEND_EVERY_ITEMS = 32;

parentPort?.on('message', async (job: PrepareJob) => {
  const queue = new Int32Array(job.queue);
  let replies: PrepareReply[] = [];
  let transfer: ArrayBuffer[] = [];
  let sent = performance.now();
  const send = (done: boolean) => {
    parentPort!.postMessage({ replies, done } satisfies PrepareJobReply, transfer);
    replies = [];
    transfer = [];
    sent = performance.now();
  };
  for (;;) {
    if (Atomics.load(queue, QUEUE_STOP) !== 0) break;
    const id = Atomics.add(queue, QUEUE_NEXT, 1);
    if (id >= job.items.length) break;
    const item = job.items[id];
    try {
      const p = await prepareImage(item, job.image);
      replies.push({ id, ok: true, pixels: p.pixels, bitDepth: p.bitDepth, mean: p.mean, width: p.width, height: p.height });
      if (!transfer.includes(p.pixels.buffer as ArrayBuffer)) transfer.push(p.pixels.buffer as ArrayBuffer);
    } catch (e) {
      const err = e as Error;
      replies.push(err instanceof DecodeError
        ? { id, ok: false, file: err.file, problem: err.problem }
        : { id, ok: false, file: item.path, problem: err.message, bug: err.stack ?? err.message });
    }
    if (replies.length >= SEND_EVERY_ITEMS || performance.now() - sent >= SEND_EVERY_MS) send(false);
  }
  send(true);
});
parentPort?.postMessage('ready');
