// Reading a monitored metric from an epoch row (early stopping, plateau).
import type { EpochRow } from './history';
import type { MonitorMode } from './schema';

/** Keras' mode 'auto', made explicit: minimise losses and errors, maximise everything else. */
export function resolveMode(monitor: string, mode: MonitorMode): 'min' | 'max' {
  if (mode !== 'auto') return mode;
  return /loss|error/i.test(monitor) ? 'min' : 'max';
}

/** The metrics a fit's epoch rows carry. */
export function availableMetrics(hasVal: boolean, multiLabel = false): string[] {
  return ['train/loss', 'train/accuracy', ...(hasVal ? ['val/loss', 'val/accuracy', ...(multiLabel ? ['val/micro_f1'] : [])] : [])];
}

/** Throws "metric `x` is not available. Available: ..." before training starts. */
export function checkMonitor(monitor: string, key: string, hasVal: boolean, multiLabel = false): void {
  const available = availableMetrics(hasVal, multiLabel);
  if (!available.includes(monitor)) {
    const why = !hasVal && monitor.startsWith('val/') ? ' (there is no validation split: set dataset.split.valFraction)' : '';
    throw new Error(`${key}: metric \`${monitor}\` is not available${why}. Available: ${available.join(', ')}`);
  }
}

export function metricOf(row: EpochRow, monitor: string, key: string): number {
  const v = row[monitor];
  if (typeof v !== 'number') {
    throw new Error(`${key}: metric \`${monitor}\` is not available. Available: ${Object.keys(row).filter((k) => k !== 'epoch').join(', ')}`);
  }
  return v;
}
