// Per-epoch history rows, keyed by MLflow metric keys.

/** One row per epoch; keys are MLflow metric keys ('train/loss', 'val/accuracy', 'lr'). */
export interface EpochRow {
  epoch: number;
  [key: string]: number;
}
