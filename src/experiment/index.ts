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
export { bagResults, BagResults } from './bag-results';
export type { PatientRow, AttentionRow } from './bag-results';
