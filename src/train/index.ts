// Public API of src/train.
export { fit, crossEntropy, priorEntropy } from './loop';
export type { BatchInfo, TrainCallbacks, TrainResult, TrainOutcome, FitOptions } from './loop';
export type { EpochRow } from './history';
export { predictScores, evaluateLoss } from './predict';
export type { PredictOptions } from './predict';
export { makeLoss, focalLoss, binaryCrossEntropy, evaluationLoss, scoreActivation, priorLogits } from './losses';
export type { LossFn, LossOptions } from './losses';
export { createOptimizer, resolveOptimizerOptions } from './optimizers';
export type { Optimizer, OptimizerOptions } from './optimizers';
export { createSchedule, cosineWithWarmup, ReduceOnPlateau, warmupSteps } from './schedules';
export type { LrSchedule, ScheduleContext } from './schedules';
export { clipGradients, globalNorm } from './clip';
export { EarlyStopping } from './early-stopping';
export { isBetterEpoch } from './best-epoch';
export { resolveMode } from './monitor';
export { TTA_VIEWS, ttaViews, predictWithViews } from './tta';
export { trainSchema } from './schema';
export type { TrainConfig, ScheduleConfig, EarlyStoppingConfig, LinearHeadConfig, OptimizerName, LossName, TtaName } from './schema';
