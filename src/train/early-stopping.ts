// Early stopping with Keras' semantics: an epoch improves when the monitor
// beats the best by more than minDelta (in the monitor's direction); training
// stops once `patience` epochs in a row have not improved.
import type { EpochRow } from './history';
import type { EarlyStoppingConfig } from './schema';
import { metricOf, resolveMode } from './monitor';

export class EarlyStopping {
  readonly mode: 'min' | 'max';
  best: number;
  bestEpoch = 0;
  wait = 0;
  stoppedEpoch = 0;

  constructor(readonly cfg: EarlyStoppingConfig) {
    this.mode = resolveMode(cfg.monitor, cfg.mode);
    this.best = this.mode === 'min' ? Infinity : -Infinity;
  }

  /** True when `row` improves on the best so far (and becomes the best). */
  improves(row: EpochRow): boolean {
    const v = metricOf(row, this.cfg.monitor, 'train.earlyStopping.monitor');
    const better = this.mode === 'min' ? v < this.best - this.cfg.minDelta : v > this.best + this.cfg.minDelta;
    if (better) { this.best = v; this.bestEpoch = row.epoch; this.wait = 0; } else this.wait++;
    return better;
  }

  /** Call after improves(): true when training should stop now. */
  shouldStop(row: EpochRow): boolean {
    if (this.wait >= this.cfg.patience && this.wait > 0) { this.stoppedEpoch = row.epoch; return true; }
    return false;
  }
}
