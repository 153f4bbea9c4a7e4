// Public API of src/eval: pure functions on plain arrays (imports nothing of ours).
export { evaluateClassification, argmax } from './evaluate';
export type { ClassificationEvaluation, EvaluateClassificationOptions } from './evaluate';
export { confusionMatrix } from './confusion-matrix';
export { classificationReport, formatFixed } from './report';
export { rocCurve, macroAverageRoc, trapezoidArea } from './roc';
export type { RocCurve } from './roc';
export { prCurve } from './precision-recall';
export type { PrCurve } from './precision-recall';
export { logLoss } from './log-loss';
export { searchThreshold, THRESHOLD_METRICS } from './threshold';
export type { ThresholdMetric, ThresholdResult, ThresholdSearchOptions } from './threshold';
export { cosineSimilarity, searchSimilarityThreshold, topKNeighbours } from './similarity';
export type { Neighbour } from './similarity';
export { pca } from './pca';
export type { PcaResult } from './pca';
export { predictionsFromRows } from './predictions-csv';
export type { PredictionsTable, PredictionsCsvRows } from './predictions-csv';
