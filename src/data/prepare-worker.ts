// Worker thread body for the prepare pool: decode + mask + resize off the
// main thread, so preprocessing uses every core. It imports only what
// preparing an image needs (no tfjs, no sharp until a JPEG/TIFF asks for it),
// says 'ready' once loaded, then answers each batch with one message whose
// pixel buffers are transferred, not copied.
import { parentPort } from 'node:worker_threads';
import { prepareImage } from './image';
import { DecodeError } from './decode/index';
import type { PrepareBatch, PrepareBatchReply, PrepareReply } from './prepare-pool';

parentPort?.on('message', async (msg: PrepareBatch) => {
  const replies: PrepareReply[] = [];
  const transfer = new Set<ArrayBuffer>();
  for (let k = 0; k < msg.ids.length; k++) {
    const id = msg.ids[k], item = msg.items[k];
    try {
      const p = await prepareImage(item, msg.image);
      replies.push({ id, ok: true, pixels: p.pixels, bitDepth: p.bitDepth, mean: p.mean, width: p.width, height: p.height });
      transfer.add(p.pixels.buffer as ArrayBuffer);
    } catch (e) {
      const err = e as Error;
      replies.push(err instanceof DecodeError
        ? { id, ok: false, file: err.file, problem: err.problem }
        : { id, ok: false, file: item.path, problem: err.message, bug: err.stack ?? err.message });
    }
  }
  parentPort!.postMessage({ replies } satisfies PrepareBatchReply, [...transfer]);
});
parentPort?.postMessage('ready');
