// A wasm heap that cannot grow aborts inside tfjs-backend-wasm with a bare
// "Aborted()": say what ran out and what to change.
/** `err` re-thrown with what to do when it is the wasm heap running out; otherwise `err` itself. */
export function explainHeapError(err: unknown, what: string): unknown {
  const msg = err instanceof Error ? err.message : String(err);
  if (!/^Aborted\(|memory access out of bounds|out of wasm memory|Array buffer allocation failed|WebAssembly\.Memory\(\): could not allocate/.test(msg)) return err;
  const e = new Error(`${what}: the wasm backend ran out of memory (32-bit WebAssembly addresses at most 4 GiB, and the activations a training step keeps grow with batch size x image area). ` +
    `Set train.microBatch (e.g. 8: the same batch, its gradient accumulated over smaller pieces), or lower train.batchSize or dataset.image.size, or use a native backend (tensorflow / webgpu). (${msg.split('\n')[0]})`);
  (e as Error & { cause?: unknown }).cause = err;
  return e;
}
