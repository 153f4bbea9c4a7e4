// Public API of src/train.
export { fit, predictScores, evaluateLoss, crossEntropy, priorEntropy } from './loop';
export type { EpochRow, BatchInfo, TrainCallbacks, TrainResult, TrainOutcome } from './loop';
export { trainSchema } from './schema';
export type { TrainConfig } from './schema';
