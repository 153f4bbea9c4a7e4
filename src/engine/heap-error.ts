// A wasm heap that cannot grow aborts inside tfjs-backend-wasm with a bare
// "Aborted()": say what ran out and what to change.
/** `err` re-thrown with what to do when it is the wasm heap running out; otherwise `err` itself. */
export function explainHeapError(err: unknown, what: string): unknown {
  const msg = err instanceof Error ? err.message : String(err);
  if (!/^Aborted\(|out of wasm memory|Array buffer allocation failed|WebAssembly\.Memory\(\): could not allocate/.test(msg)) return err;
  const e = new Error(`${what}: the wasm backend ran out of memory (32-bit WebAssembly addresses at most 4 GiB, and the activations a training step keeps grow with batch size x image area). ` +
    `Lower train.batchSize or dataset.imageSize, or use a native backend (tensorflow / webgpu). (${msg.split('\n')[0]})`);
  (e as Error & { cause?: unknown }).cause = err;
  return e;
}
