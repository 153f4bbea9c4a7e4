// System metrics like MLflow's monitor: CPU and memory per interval, steps counting up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import { sampleSystem, startSystemMetrics } from '../../src/tracking/system-metrics';

test('system metrics: CPU and memory sampled per interval, steps counting up, until stopped', async () => {
  const got: { m: Record<string, number>; step: number }[] = [];
  const s = startSystemMetrics({ intervalMs: 40, log: (m, step) => got.push({ m, step }) });
  const t0 = Date.now();
  while (Date.now() - t0 < 100) Math.sqrt(Math.random()); // keep one core busy
  await new Promise((r) => setTimeout(r, 400));
  s.stop();
  const n = got.length;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(got.length, n, 'no sample after stop()');
  assert.ok(n >= 3, `${n} samples`);
  assert.deepEqual(got.map((g) => g.step), got.map((_, i) => i));
  for (const { m } of got) {
    assert.deepEqual(Object.keys(m).sort(), ['system/cpu_utilization_percentage', 'system/system_memory_usage_megabytes', 'system/system_memory_usage_percentage']);
    assert.ok(m['system/cpu_utilization_percentage'] >= 0 && m['system/cpu_utilization_percentage'] <= 100);
    assert.ok(m['system/system_memory_usage_megabytes'] > 1 && m['system/system_memory_usage_megabytes'] < os.totalmem() / 1048576);
  }
  const busy = sampleSystem({ busy: 0, total: 0 }).metrics['system/cpu_utilization_percentage'];
  assert.ok(busy > 0 && busy < 100, `since boot: ${busy}%`);
});
