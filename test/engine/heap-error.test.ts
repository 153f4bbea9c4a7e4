// A wasm heap exhausted mid-step ("Aborted()" from tfjs-backend-wasm) is
// re-thrown saying which step, that memory ran out and what to lower; other
// errors pass through untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { explainHeapError } from '../../src/engine/heap-error';

test('an emscripten abort becomes an out-of-memory error that says what to change', () => {
  const abort = new Error('Aborted(). Build with -sASSERTIONS for more info.');
  const e = explainHeapError(abort, 'training step (epoch 1, batch 3, 8 images of 224x224x3)') as Error;
  assert.match(e.message, /^training step \(epoch 1, batch 3, 8 images of 224x224x3\): the wasm backend ran out of memory/);
  assert.match(e.message, /train\.microBatch/);
  assert.match(e.message, /train\.batchSize/);
  assert.equal((e as Error & { cause?: unknown }).cause, abort);
});

test('a wasm out-of-bounds access in a step is reported the same way', () => {
  assert.match((explainHeapError(new Error('memory access out of bounds'), 'training step') as Error).message, /ran out of memory/);
});

test('any other error passes through as it was', () => {
  const other = new Error('Error in matMul: inner shapes (4) and (5) must match');
  assert.equal(explainHeapError(other, 'training step'), other);
});
