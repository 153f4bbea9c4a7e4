// A thread of cellab's kernel pool (src/engine/kernel-pool.ts): instantiates
// cellab's SIMD kernels on tfjs-backend-wasm's shared memory and runs chunks
// of the jobs the main thread posts in a control block (a SharedArrayBuffer),
// claiming them one at a time. Plain CommonJS outside src/ so that src/ (tsx)
// and dist/ (tsc) both reach it at ../../lib/ and it starts without tsx.
// The protocol (slots, claim word) is described in kernel-pool.ts.
'use strict';
const { workerData } = require('node:worker_threads');

const { module: wasmModule, memory, control, names, slots, spin } = workerData;
const exports_ = new WebAssembly.Instance(wasmModule, { env: { memory } }).exports;
const fns = names.map((n) => exports_[n]);
const ctl = new Int32Array(control);
const args = new Float64Array(control, slots.ARGS * 4, slots.MAX_ARGS);
const { WAKE, CLAIM, DONE, FN, NARGS, TOTAL, ERROR, READY, WORKER_CHUNKS } = slots;
const a = [];

/** Claims and runs chunks of the open job until none is left (or none is open). */
function work() {
  for (;;) {
    const w = Atomics.load(ctl, CLAIM);
    const chunks = w >>> 16, k = w & 0xffff;
    if (k >= chunks) return;
    if (Atomics.compareExchange(ctl, CLAIM, w, w + 1) !== w) continue;
    // Chunk k is ours, and keeps its job open until DONE counts it: the fields are that job's.
    const fi = ctl[FN], n = ctl[NARGS], total = ctl[TOTAL];
    a.length = n + 2;
    for (let i = 0; i < n; i++) a[i] = args[i];
    a[n] = Math.floor((k * total) / chunks);
    a[n + 1] = Math.floor(((k + 1) * total) / chunks);
    try {
      fns[fi](...a);
    } catch (err) {
      Atomics.store(ctl, ERROR, 1);
      process.stderr.write(`cellab kernel worker: ${names[fi]} failed: ${(err && err.stack) || err}\n`);
    }
    Atomics.add(ctl, WORKER_CHUNKS, 1);
    if (Atomics.add(ctl, DONE, 1) === chunks - 1) Atomics.notify(ctl, DONE);
  }
}

Atomics.add(ctl, READY, 1);
for (;;) {
  // WAKE read before looking for work: a job opened after that look bumps it, so it is not slept through.
  const seen = Atomics.load(ctl, WAKE);
  work();
  // A short spin first: kernels of one training step come tens of microseconds apart.
  for (let i = 0; Atomics.load(ctl, WAKE) === seen; i++) {
    if (i >= spin) Atomics.wait(ctl, WAKE, seen);
  }
}
