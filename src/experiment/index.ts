// Public API of src/experiment: what notebooks and the CLI call.
export { fromFile, Experiment, ExperimentResult, TrialView } from './experiment';
export type { RunExperimentOptions } from './experiment';
export { loadExperimentFile, resolveConfig, configHash, configToYaml, parseSet } from './config';
export type { ResolvedExperiment, LoadOptions } from './config';
export { experimentSchema } from './schema';
export type { ExperimentConfig } from './schema';
export { expandTrials, isSweep } from './trials';
export type { Trial } from './trials';
export { runExperiment } from './run';
export type { RunSummary } from './run';
export { runSweep, formatTable, parseShard } from './sweep';
export type { SweepSummary, TrialRow } from './sweep';
export { createProgress } from './progress';
export { showSamples } from './samples';
export type { SampleOptions } from './samples';
// Registers the notebook display of galleries (data's ds.show(), anomalies, augment.preview).
import './galleries';
export { displayGallery } from './galleries';
export { runLrFind, suggestedLr } from './lr-find';
export type { LrFindReport, LrFindRunOptions } from './lr-find';
export { loadRunForAnalysis, topLossesGallery, mostConfusedGallery, misclassifiedGallery, gradCamGallery, logErrorAnalysis } from './error-analysis';
export type { AnalysedRun, ScoredItem } from './error-analysis';
export { trialRunName, sweepRunName } from './run-name';
export { trialNote, sweepNote } from './note';
export { afterBest } from './best-run';
export { buildReport, reportRuns } from './report';
export type { ReportOptions, ReportResult } from './report';
