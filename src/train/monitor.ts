// Reading a monitored metric from an epoch row (early stopping, plateau).
import type { EpochRow } from './history';
import type { MonitorMode } from './schema';

/** Keras' mode 'auto', made explicit: minimise losses and errors, maximise everything else. */
export function resolveMode(monitor: string, mode: MonitorMode): 'min' | 'max' {
  if (mode !== 'auto') return mode;
  return /loss|error/i.test(monitor) ? 'min' : 'max';
}

/** The metrics a fit's epoch rows carry (`extra`: per split, what a particular loop adds, e.g. balanced_accuracy). */
export function availableMetrics(hasVal: boolean, extra: string[] = []): string[] {
  return ['train/loss', 'train/accuracy', ...extra.map((m) => `train/${m}`), ...(hasVal ? ['val/loss', 'val/accuracy', ...extra.map((m) => `val/${m}`)] : [])];
}

/** Throws "metric `x` is not available. Available: ..." before training starts. */
export function checkMonitor(monitor: string, key: string, hasVal: boolean, extra: string[] = []): void {
  const available = availableMetrics(hasVal, extra);
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
