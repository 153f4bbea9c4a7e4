// System metrics as MLflow's own monitor logs them (`system/...` keys, one step per
// sample): CPU utilisation of the whole machine over the last interval, and memory
// in use. Sampled on a timer that never keeps the process alive.
import * as os from 'node:os';

export const SYSTEM_METRIC_KEYS = ['system/cpu_utilization_percentage', 'system/system_memory_usage_megabytes', 'system/system_memory_usage_percentage'] as const;

export interface SystemMetricsOptions {
  /** Milliseconds between samples (MLflow's default: 10 s). */
  intervalMs?: number;
  /** Receives each sample with its step (0, 1, 2 ...). */
  log: (metrics: Record<string, number>, step: number) => void;
}

export interface SystemMetricsSampler {
  /** Take a last sample (when at least a second has passed since the previous one) and stop. */
  stop(): void;
  readonly samples: number;
}

function cpuTimes(): { busy: number; total: number } {
  let busy = 0, total = 0;
  for (const c of os.cpus()) {
    const t = c.times;
    const all = t.user + t.nice + t.sys + t.idle + t.irq;
    total += all;
    busy += all - t.idle;
  }
  return { busy, total };
}

/** One sample: CPU busy share since `since`, memory in use now (total minus available). */
export function sampleSystem(since: { busy: number; total: number }): { metrics: Record<string, number>; now: { busy: number; total: number } } {
  const now = cpuTimes();
  const dt = now.total - since.total;
  const cpu = dt > 0 ? (100 * (now.busy - since.busy)) / dt : 0;
  const total = os.totalmem(), used = total - os.freemem();
  return {
    now,
    metrics: {
      'system/cpu_utilization_percentage': Math.round(cpu * 10) / 10,
      'system/system_memory_usage_megabytes': Math.round((used / 1048576) * 10) / 10,
      'system/system_memory_usage_percentage': Math.round((1000 * used) / total) / 10,
    },
  };
}

export function startSystemMetrics(o: SystemMetricsOptions): SystemMetricsSampler {
  const interval = o.intervalMs ?? 10_000;
  let last = cpuTimes(), lastAt = Date.now(), step = 0, stopped = false;
  const take = () => {
    const s = sampleSystem(last);
    last = s.now;
    lastAt = Date.now();
    o.log(s.metrics, step++);
  };
  const timer = setInterval(take, interval);
  timer.unref();
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      if (Date.now() - lastAt >= 1000) take();
    },
    get samples() { return step; },
  };
}
