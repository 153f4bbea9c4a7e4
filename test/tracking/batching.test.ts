import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LIMITS, splitBatch } from '../../src/tracking/batching';
import type { LogBatch } from '../../src/tracking/types';

const metric = (i: number) => ({ key: `m${i % 7}`, value: i / 3, timestamp: 1_700_000_000_000 + i, step: i });

test('10,000 points and a few params fit in 11 requests, each within every limit', () => {
  const batch: LogBatch = {
    params: Array.from({ length: 30 }, (_, i) => ({ key: `p${i}`, value: String(i) })),
    tags: [{ key: 'cellab.backend', value: 'wasm' }],
    metrics: Array.from({ length: 10_000 }, (_, i) => metric(i)),
  };
  const reqs = splitBatch(batch);
  assert.equal(reqs.length, 11);
  for (const r of reqs) {
    assert.ok(r.metrics.length <= 1000 && r.params.length <= 100 && r.tags.length <= 100);
    assert.ok(r.metrics.length + r.params.length + r.tags.length <= 1000);
  }
  // Nothing lost, nothing repeated, order kept.
  assert.deepEqual(reqs.flatMap((r) => r.metrics), batch.metrics);
  assert.deepEqual(reqs.flatMap((r) => r.params), batch.params);
});

test('more than 100 params or tags are spread over requests that still carry metrics', () => {
  const reqs = splitBatch({
    params: Array.from({ length: 250 }, (_, i) => ({ key: `p${i}`, value: 'v' })),
    tags: Array.from({ length: 120 }, (_, i) => ({ key: `t${i}`, value: 'v' })),
    metrics: Array.from({ length: 1500 }, (_, i) => metric(i)),
  });
  assert.ok(reqs.every((r) => r.params.length <= 100 && r.tags.length <= 100));
  assert.equal(reqs[0].metrics.length, 800);
  assert.equal(reqs.reduce((n, r) => n + r.params.length, 0), 250);
  assert.equal(reqs.reduce((n, r) => n + r.metrics.length, 0), 1500);
  assert.equal(reqs.length, 3);
});

test('the 1 MB body limit splits large values', () => {
  const reqs = splitBatch({ params: Array.from({ length: 90 }, (_, i) => ({ key: `p${i}`, value: 'x'.repeat(30_000) })), tags: [], metrics: [] });
  assert.ok(reqs.length >= 3);
  for (const r of reqs) assert.ok(Buffer.byteLength(JSON.stringify(r)) < 1_000_000);
  assert.throws(() => splitBatch({ params: [{ key: 'huge', value: 'x'.repeat(LIMITS.bytes) }], tags: [], metrics: [] }), /param `huge` is \d+ bytes/);
});
