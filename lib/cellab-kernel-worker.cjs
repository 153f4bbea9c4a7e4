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
const { POSTED, CLAIM, DONE, FN, NARGS, TOTAL, CHUNKS, ERROR, READY, WORKER_CHUNKS } = slots;

function work(seq) {
  const fn = fns[ctl[FN]];
  const a = Array.from(args.subarray(0, ctl[NARGS]));
  const total = ctl[TOTAL], chunks = ctl[CHUNKS];
  const n = a.length;
  a.push(0, 0);
  for (;;) {
    const w = Atomics.load(ctl, CLAIM);
    // Another job (or this one closed): the fields read above may not be this job's.
    if ((w >>> 16) !== seq) return;
    const k = w & 0xffff;
    if (k >= chunks) return;
    if (Atomics.compareExchange(ctl, CLAIM, w, w + 1) !== w) continue;
    a[n] = Math.floor((k * total) / chunks);
    a[n + 1] = Math.floor(((k + 1) * total) / chunks);
    try {
      fn(...a);
    } catch (err) {
      Atomics.store(ctl, ERROR, 1);
      process.stderr.write(`cellab kernel worker: ${names[ctl[FN]]} failed: ${err && err.stack || err}\n`);
    }
    Atomics.add(ctl, WORKER_CHUNKS, 1);
    if (Atomics.add(ctl, DONE, 1) === chunks - 1) Atomics.notify(ctl, DONE);
  }
}

Atomics.add(ctl, READY, 1);
let seen = Atomics.load(ctl, POSTED);
for (;;) {
  let posted = Atomics.load(ctl, POSTED);
  // A short spin first: kernels of one training step come tens of microseconds apart.
  for (let i = 0; posted === seen && i < spin; i++) posted = Atomics.load(ctl, POSTED);
  if (posted === seen) {
    Atomics.wait(ctl, POSTED, seen);
    continue;
  }
  seen = posted;
  work(posted & 0xffff);
}
