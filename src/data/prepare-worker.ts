// Worker thread body for the prepare pool: decode + mask + resize off the
// main thread, so preprocessing uses every core.
import { parentPort } from 'node:worker_threads';
import { prepareImage } from './image';
import { DecodeError } from './decode/index';
import type { PrepareRequest, PrepareReply } from './prepare-pool';

parentPort?.on('message', (msg: PrepareRequest | 'ping') => {
  if (msg === 'ping') { parentPort!.postMessage('pong'); return; }
  prepareImage(msg.item, msg.image).then(
    (p) => {
      const reply: PrepareReply = { id: msg.id, ok: true, pixels: p.pixels, bitDepth: p.bitDepth, mean: p.mean, width: p.width, height: p.height };
      parentPort!.postMessage(reply, [p.pixels.buffer as ArrayBuffer]);
    },
    (err: Error) => {
      const reply: PrepareReply = err instanceof DecodeError
        ? { id: msg.id, ok: false, file: err.file, problem: err.problem }
        : { id: msg.id, ok: false, file: msg.item.path, problem: err.message, bug: err.stack ?? err.message };
      parentPort!.postMessage(reply);
    },
  );
});
