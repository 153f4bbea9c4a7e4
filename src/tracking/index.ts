// Public API of src/tracking: MLflow tracking for cellab. A typed REST client,
// MLflow's file store as the default local store, a buffered run logger that
// spools to the local store during outages, push, search and a runs table.
// Imports nothing else of ours (DESIGN.md "Shape").
export { findProjectRoot, resolveTrackingUri, resolveExperimentName, normaliseTrackingUri, defaultStorePath, redactUri } from './project';
export { openTracking, openStore, getOrCreateExperimentIn } from './tracking';
export type { Tracking, OpenTrackingOptions, StartRunOptions } from './tracking';
export type { RunLogger, EndStatus } from './run-logger';
export { onBeforeKill, activeRunIds } from './signals';
export { pushRuns, PUSHED_FROM_TAG } from './push';
export type { PushOptions, PushReport, PushedRun } from './push';
export { runsDataFrame, runsTable } from './dataframe';
export type { RunsDataFrame, RunRow, RunsTableOptions } from './dataframe';
export { parseFilter, matchesFilter, sortRuns, FilterError } from './search-filter';
export { FileStore } from './file-store';
export { MlflowRestClient } from './rest-client';
export { MlflowError, MlflowAuthError, MlflowUnreachableError, LocalStoreError, NotFoundError, isNotFound } from './errors';
export { LIMITS as LOG_BATCH_LIMITS } from './batching';
export { DEFAULT_MAX_PARAM_LENGTH, flattenParams } from './values';
export type {
  RunStatus, RunViewType, MetricPoint, DatasetInput, RunInfo, RunRecord, Experiment, ArtifactEntry, SearchRunsOptions, Store,
} from './types';
export { registerModelVersion } from './registry';
export type { RegisteredVersion } from './registry';
export type { ModelVersion, RegisteredModel, CreateModelVersionOptions } from './types';
export { startSystemMetrics, sampleSystem, SYSTEM_METRIC_KEYS } from './system-metrics';
export type { SystemMetricsSampler, SystemMetricsOptions } from './system-metrics';
