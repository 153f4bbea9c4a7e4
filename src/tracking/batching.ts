// Split what a run has buffered into log-batch requests within MLflow's limits:
// 1000 metrics, 100 params, 100 tags, 1000 items in all, 1 MB of body.
import type { LogBatch, MetricPoint } from './types';
import { metricToJson } from './values';

export const LIMITS = {
  metrics: 1000,
  params: 100,
  tags: 100,
  items: 1000,
  /** Kept under MLflow's 1 MB with room for the envelope. */
  bytes: 1_000_000 - 4_096,
};

export type BatchLimits = typeof LIMITS;

export function metricJson(m: MetricPoint): { key: string; value: number | string; timestamp: number; step: number } {
  return { key: m.key, value: metricToJson(m.value), timestamp: m.timestamp, step: m.step };
}

function size(o: unknown): number {
  return Buffer.byteLength(JSON.stringify(o), 'utf8') + 1;
}

/**
 * Pack entries into as few requests as the limits allow: each request takes
 * params and tags first (up to 100 each), then fills up with metrics.
 */
export function splitBatch(batch: LogBatch, limits: BatchLimits = LIMITS): LogBatch[] {
  const out: LogBatch[] = [];
  let p = 0, t = 0, m = 0;
  const sizes = {
    params: batch.params.map(size),
    tags: batch.tags.map(size),
    metrics: batch.metrics.map((x) => size(metricJson(x))),
  };
  for (const kind of ['params', 'tags', 'metrics'] as const) {
    const big = sizes[kind].findIndex((b) => b > limits.bytes);
    if (big >= 0) throw new Error(`${kind.slice(0, -1)} \`${batch[kind][big].key}\` is ${sizes[kind][big]} bytes, over the ${limits.bytes}-byte request limit`);
  }
  while (p < batch.params.length || t < batch.tags.length || m < batch.metrics.length) {
    const req: LogBatch = { metrics: [], params: [], tags: [] };
    let items = 0, bytes = 0;
    while (p < batch.params.length && req.params.length < limits.params && items < limits.items && bytes + sizes.params[p] <= limits.bytes) {
      bytes += sizes.params[p]; items++; req.params.push(batch.params[p++]);
    }
    while (t < batch.tags.length && req.tags.length < limits.tags && items < limits.items && bytes + sizes.tags[t] <= limits.bytes) {
      bytes += sizes.tags[t]; items++; req.tags.push(batch.tags[t++]);
    }
    while (m < batch.metrics.length && req.metrics.length < limits.metrics && items < limits.items && bytes + sizes.metrics[m] <= limits.bytes) {
      bytes += sizes.metrics[m]; items++; req.metrics.push(batch.metrics[m++]);
    }
    out.push(req);
  }
  return out;
}
