// Self-supervised pretraining: BYOL and SimSiam.
export { fitSsl, sslStepsPerEpoch } from './fit';
export type { SslFitOptions, SslResult, SslCallbacks } from './fit';
export { SslLearner } from './learner';
export type { SslMethod, Branch, StepResult } from './learner';
export { emaTau, emaPairs, emaUpdate } from './ema';
export type { EmaPair } from './ema';
export { byolLoss, simsiamLoss, embeddingStd, rowCosine, stopGradient } from './losses';
export { viewBatches } from './views';
export { effectiveRank } from './rank';
export type { ViewBatch } from './views';
export { sslSchema, methodSchema, sslConfigProblems, SSL_VIEWS_DEFAULT, TRAIN_METHODS } from './schema';
export type { SslConfig, TrainMethod } from './schema';
