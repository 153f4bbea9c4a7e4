// The pthread worker of tfjs-backend-wasm's threaded build, loadable by Node's
// worker_threads (see src/engine/wasm-threads.ts, which hands this file's path
// to Emscripten instead of the blob: URL that tfjs builds for browsers).
//
// Emscripten's worker script (wasm-out/...worker.js exports it as a string)
// already knows Node. Two things stand in its way, both browser assumptions:
// its main-thread side sends the Emscripten factory as a Blob, which the
// script turns into an object URL and importScripts()s (Node cannot read a
// blob: URL as a file), and the script source itself came from a blob: URL.
// So: run the script here, and when it imports the factory, require the
// package's own copy of it (the same code tfjs bundles) instead.
// Lives outside src/ so that src/ (tsx) and dist/ (tsc) both reach it at ../../lib/.
'use strict';
const path = require('node:path');

const pkg = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
const factoryFile = path.join(pkg, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
const workerSource = require(path.join(pkg, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js')).wasmWorkerContents;

// The source is a template literal in which "\n" escapes became newlines; tfjs
// escapes them again before making its Blob, and so do we.
new Function('require', '__filename', workerSource.replace(/\n/g, '\\n'))(require, __filename);

const importScripts = global.importScripts;
global.importScripts = (url) => {
  if (typeof url === 'string' && url.startsWith('blob:')) {
    global.WasmBackendModuleThreadedSimd = require(factoryFile);
    return;
  }
  importScripts(url);
};
