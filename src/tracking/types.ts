// The shapes the tracking module hands out and takes in. They follow MLflow's
// REST entities (run info/data/inputs) with plain maps for params and tags.

export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';
export const RUN_STATUSES: readonly RunStatus[] = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'];
export type RunViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

export interface MetricPoint {
  key: string;
  value: number;
  /** Milliseconds since the epoch. */
  timestamp: number;
  step: number;
}

export interface DatasetInput {
  name: string;
  digest: string;
  /** A JSON string as MLflow stores it, e.g. `{"uri": "data/hep2"}`. */
  source: string;
  sourceType: string;
  schema?: string;
  profile?: string;
  /** `mlflow.data.context` tag: train, val, test... */
  context?: string;
}

export interface RunInfo {
  runId: string;
  experimentId: string;
  runName: string;
  userId: string;
  status: RunStatus;
  startTime: number;
  endTime?: number;
  artifactUri: string;
  lifecycleStage: 'active' | 'deleted';
}

export interface RunRecord {
  info: RunInfo;
  /** Latest value of each metric (largest step, then timestamp). */
  metrics: Record<string, number>;
  params: Record<string, string>;
  tags: Record<string, string>;
  inputs: DatasetInput[];
}

export interface Experiment {
  experimentId: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: 'active' | 'deleted';
  creationTime?: number;
  lastUpdateTime?: number;
  tags: Record<string, string>;
}

export interface ArtifactEntry {
  /** Relative to the run's artifact root, `/`-separated. */
  path: string;
  isDir: boolean;
  fileSize?: number;
}

export interface SearchRunsOptions {
  experimentIds: string[];
  filter?: string;
  orderBy?: string[];
  maxResults?: number;
  runViewType?: RunViewType;
}

export interface CreateRunOptions {
  experimentId: string;
  runName?: string;
  startTime: number;
  tags: Record<string, string>;
  userId?: string;
  /** Local stores only: reuse this id (a spooled copy of a server run keeps its id). */
  runId?: string;
}

export interface LogBatch {
  metrics: MetricPoint[];
  params: { key: string; value: string }[];
  tags: { key: string; value: string }[];
}

/** A version of a registered model (MLflow Model Registry). */
export interface ModelVersion {
  name: string;
  /** "1", "2", ... */
  version: string;
  /** Where the model's files are (the run's checkpoint artifact). */
  source: string;
  runId?: string;
  status?: string;
  currentStage?: string;
  creationTimestamp?: number;
  description?: string;
  tags: Record<string, string>;
}

export interface RegisteredModel {
  name: string;
  creationTimestamp?: number;
  lastUpdatedTimestamp?: number;
  description?: string;
  tags: Record<string, string>;
  latestVersions: ModelVersion[];
}

export interface CreateModelVersionOptions {
  name: string;
  source: string;
  runId?: string;
  tags?: Record<string, string>;
  description?: string;
}

/**
 * Where runs are stored: a server (REST) or a local MLflow file store.
 * Both implement the same calls so the logger, search and push need not care.
 */
export interface Store {
  readonly kind: 'local' | 'server';
  /** The URI without credentials. */
  readonly uri: string;
  getExperimentByName(name: string): Promise<Experiment | undefined>;
  getExperiment(experimentId: string): Promise<Experiment>;
  createExperiment(name: string, tags?: Record<string, string>): Promise<string>;
  listExperiments(): Promise<Experiment[]>;
  createRun(o: CreateRunOptions): Promise<RunInfo>;
  getRun(runId: string): Promise<RunRecord>;
  /** Undefined when the run does not exist (other errors are thrown). */
  findRun(runId: string): Promise<RunRecord | undefined>;
  updateRun(runId: string, status: RunStatus, endTime?: number): Promise<void>;
  deleteRun(runId: string): Promise<void>;
  restoreRun(runId: string): Promise<void>;
  logBatch(runId: string, batch: LogBatch): Promise<void>;
  logInputs(runId: string, inputs: DatasetInput[]): Promise<void>;
  setTag(runId: string, key: string, value: string): Promise<void>;
  searchRuns(o: SearchRunsOptions): Promise<RunRecord[]>;
  getMetricHistory(runId: string, key: string): Promise<MetricPoint[]>;
  uploadArtifact(run: RunInfo, artifactPath: string, content: Uint8Array): Promise<void>;
  listArtifacts(run: RunInfo, path?: string): Promise<ArtifactEntry[]>;
  downloadArtifact(run: RunInfo, path: string): Promise<Buffer>;
  /** Model Registry: undefined when no model has that name. */
  getRegisteredModel(name: string): Promise<RegisteredModel | undefined>;
  /** Fails with RESOURCE_ALREADY_EXISTS when the name is taken. */
  createRegisteredModel(name: string, o?: { tags?: Record<string, string>; description?: string }): Promise<RegisteredModel>;
  /** The next version of an existing registered model. */
  createModelVersion(o: CreateModelVersionOptions): Promise<ModelVersion>;
}
