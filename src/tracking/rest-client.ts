// A typed client for MLflow's REST API (2.x and 3.x paths): experiments,
// runs, log-batch, inputs, metric history, and artifacts through the server's
// artifact proxy (or straight to a `file:` artifact root). Unknown keys in
// responses are ignored.
import { fileURLToPath } from 'node:url';
import { HttpClient, type HttpOptions } from './http';
import { MlflowError, isNotFound } from './errors';
import { listLocalArtifacts, readLocalArtifact, writeLocalArtifact, checkArtifactPath } from './local-artifacts';
import { metricJson } from './batching';
import { metricFromJson } from './values';
import type {
  CreateModelVersionOptions, ModelVersion, RegisteredModel,
  ArtifactEntry, CreateRunOptions, DatasetInput, Experiment, LogBatch, MetricPoint, RunInfo, RunRecord, RunStatus,
  SearchRunsOptions, Store,
} from './types';
import { RUN_STATUSES } from './types';

type KV = { key: string; value: string };
interface ExperimentJson { experiment_id: string; name: string; artifact_location?: string; lifecycle_stage?: string; creation_time?: number; last_update_time?: number; tags?: KV[] }
interface RunInfoJson { run_id?: string; run_uuid?: string; experiment_id: string; run_name?: string; user_id?: string; status?: string; start_time?: number | string; end_time?: number | string; artifact_uri?: string; lifecycle_stage?: string }
interface MetricJson { key: string; value: number | string; timestamp?: number | string; step?: number | string }
interface DatasetInputJson { tags?: KV[]; dataset: { name: string; digest: string; source_type?: string; source?: string; schema?: string; profile?: string } }
interface RunJson { info: RunInfoJson; data?: { metrics?: MetricJson[]; params?: KV[]; tags?: KV[] }; inputs?: { dataset_inputs?: DatasetInputJson[] } }

const API = '/api/2.0/mlflow';
const ARTIFACTS_API = '/api/2.0/mlflow-artifacts/artifacts';
const PAGE = 1000;

function toMap(kvs: KV[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of kvs ?? []) out[kv.key] = kv.value;
  return out;
}
function toKvs(map: Record<string, string> | undefined): KV[] {
  return Object.entries(map ?? {}).map(([key, value]) => ({ key, value }));
}

export function experimentFromJson(e: ExperimentJson): Experiment {
  return {
    experimentId: String(e.experiment_id),
    name: e.name,
    artifactLocation: e.artifact_location ?? '',
    lifecycleStage: e.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
    creationTime: e.creation_time === undefined ? undefined : Number(e.creation_time),
    lastUpdateTime: e.last_update_time === undefined ? undefined : Number(e.last_update_time),
    tags: toMap(e.tags),
  };
}

export function runInfoFromJson(i: RunInfoJson): RunInfo {
  const status = (RUN_STATUSES as readonly string[]).includes(i.status ?? '') ? (i.status as RunStatus) : 'RUNNING';
  return {
    runId: i.run_id ?? i.run_uuid ?? '',
    experimentId: String(i.experiment_id),
    runName: i.run_name ?? '',
    userId: i.user_id ?? '',
    status,
    startTime: Number(i.start_time ?? 0),
    endTime: i.end_time === undefined || i.end_time === null ? undefined : Number(i.end_time),
    artifactUri: i.artifact_uri ?? '',
    lifecycleStage: i.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
  };
}

function metricFromRest(m: MetricJson): MetricPoint {
  return { key: m.key, value: metricFromJson(m.value), timestamp: Number(m.timestamp ?? 0), step: Number(m.step ?? 0) };
}

export function runFromJson(r: RunJson): RunRecord {
  const metrics: Record<string, number> = {};
  for (const m of r.data?.metrics ?? []) metrics[m.key] = metricFromJson(m.value);
  const inputs: DatasetInput[] = (r.inputs?.dataset_inputs ?? []).map((d) => {
    const tags = toMap(d.tags);
    return {
      name: d.dataset.name,
      digest: d.dataset.digest,
      source: d.dataset.source ?? '',
      sourceType: d.dataset.source_type ?? '',
      schema: d.dataset.schema,
      profile: d.dataset.profile,
      context: tags['mlflow.data.context'],
    };
  });
  return { info: runInfoFromJson(r.info), metrics, params: toMap(r.data?.params), tags: toMap(r.data?.tags), inputs };
}

interface ModelVersionJson { name: string; version: string | number; source?: string; run_id?: string; status?: string; current_stage?: string; creation_timestamp?: number | string; description?: string; tags?: KV[] }
interface RegisteredModelJson { name: string; creation_timestamp?: number | string; last_updated_timestamp?: number | string; description?: string; tags?: KV[]; latest_versions?: ModelVersionJson[] }

const optNum = (v: number | string | undefined) => (v === undefined ? undefined : Number(v));

export function modelVersionFromJson(v: ModelVersionJson): ModelVersion {
  return {
    name: v.name, version: String(v.version), source: v.source ?? '', runId: v.run_id || undefined, status: v.status, currentStage: v.current_stage,
    creationTimestamp: optNum(v.creation_timestamp), description: v.description || undefined, tags: toMap(v.tags),
  };
}

export function registeredModelFromJson(m: RegisteredModelJson): RegisteredModel {
  return {
    name: m.name, creationTimestamp: optNum(m.creation_timestamp), lastUpdatedTimestamp: optNum(m.last_updated_timestamp),
    description: m.description || undefined, tags: toMap(m.tags), latestVersions: (m.latest_versions ?? []).map(modelVersionFromJson),
  };
}

export function datasetInputToJson(d: DatasetInput): DatasetInputJson {
  const dataset: DatasetInputJson['dataset'] = { name: d.name, digest: d.digest, source_type: d.sourceType, source: d.source };
  if (d.schema !== undefined) dataset.schema = d.schema;
  if (d.profile !== undefined) dataset.profile = d.profile;
  return { tags: d.context ? [{ key: 'mlflow.data.context', value: d.context }] : [], dataset };
}

/** `mlflow-artifacts:/3/<run>/artifacts` (or with a host) -> `3/<run>/artifacts`. */
export function proxyPath(artifactUri: string): string | undefined {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/?(.*)$/.exec(artifactUri);
  return m ? m[1].replace(/\/+$/, '') : undefined;
}

function encodePath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}

export class MlflowRestClient implements Store {
  readonly kind = 'server' as const;
  readonly http: HttpClient;

  constructor(o: HttpOptions) {
    this.http = new HttpClient(o);
  }

  get uri(): string {
    return this.http.displayUri;
  }

  // ---- experiments
  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    try {
      const r = await this.http.json<{ experiment: ExperimentJson }>('GET', `${API}/experiments/get-by-name`, undefined, { experiment_name: name });
      return experimentFromJson(r.experiment);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    const r = await this.http.json<{ experiment: ExperimentJson }>('GET', `${API}/experiments/get`, undefined, { experiment_id: experimentId });
    return experimentFromJson(r.experiment);
  }

  async createExperiment(name: string, tags?: Record<string, string>): Promise<string> {
    const body: Record<string, unknown> = { name };
    if (tags && Object.keys(tags).length) body.tags = toKvs(tags);
    const r = await this.http.json<{ experiment_id: string }>('POST', `${API}/experiments/create`, body);
    return String(r.experiment_id);
  }

  async searchExperiments(filter?: string, maxResults = PAGE): Promise<Experiment[]> {
    const out: Experiment[] = [];
    let token: string | undefined;
    do {
      const r = await this.http.json<{ experiments?: ExperimentJson[]; next_page_token?: string }>('POST', `${API}/experiments/search`,
        { filter, max_results: Math.min(PAGE, maxResults - out.length), page_token: token });
      out.push(...(r.experiments ?? []).map(experimentFromJson));
      token = r.next_page_token || undefined;
    } while (token && out.length < maxResults);
    return out;
  }

  listExperiments(): Promise<Experiment[]> {
    return this.searchExperiments(undefined, Number.MAX_SAFE_INTEGER);
  }

  // ---- runs
  async createRun(o: CreateRunOptions): Promise<RunInfo> {
    const body: Record<string, unknown> = { experiment_id: o.experimentId, start_time: o.startTime, tags: toKvs(o.tags) };
    if (o.runName !== undefined) body.run_name = o.runName;
    if (o.userId !== undefined) body.user_id = o.userId;
    const r = await this.http.json<{ run: RunJson }>('POST', `${API}/runs/create`, body);
    return runInfoFromJson(r.run.info);
  }

  async getRun(runId: string): Promise<RunRecord> {
    const r = await this.http.json<{ run: RunJson }>('GET', `${API}/runs/get`, undefined, { run_id: runId });
    return runFromJson(r.run);
  }

  async findRun(runId: string): Promise<RunRecord | undefined> {
    try {
      return await this.getRun(runId);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      // MLflow answers a malformed run id with INVALID_PARAMETER_VALUE: it cannot exist either.
      if (e instanceof MlflowError && e.status === 400) return undefined;
      throw e;
    }
  }

  async updateRun(runId: string, status: RunStatus, endTime?: number): Promise<void> {
    const body: Record<string, unknown> = { run_id: runId, status };
    if (endTime !== undefined) body.end_time = endTime;
    await this.http.json('POST', `${API}/runs/update`, body);
  }

  async deleteRun(runId: string): Promise<void> {
    await this.http.json('POST', `${API}/runs/delete`, { run_id: runId });
  }

  async restoreRun(runId: string): Promise<void> {
    await this.http.json('POST', `${API}/runs/restore`, { run_id: runId });
  }

  /** One log-batch request: the caller keeps it within MLflow's limits (see batching.ts). */
  async logBatch(runId: string, batch: LogBatch): Promise<void> {
    const body: Record<string, unknown> = { run_id: runId };
    if (batch.metrics.length) body.metrics = batch.metrics.map(metricJson);
    if (batch.params.length) body.params = batch.params;
    if (batch.tags.length) body.tags = batch.tags;
    await this.http.json('POST', `${API}/runs/log-batch`, body);
  }

  async logInputs(runId: string, inputs: DatasetInput[]): Promise<void> {
    await this.http.json('POST', `${API}/runs/log-inputs`, { run_id: runId, datasets: inputs.map(datasetInputToJson) });
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.http.json('POST', `${API}/runs/set-tag`, { run_id: runId, key, value });
  }

  async searchRuns(o: SearchRunsOptions): Promise<RunRecord[]> {
    const max = o.maxResults ?? Number.MAX_SAFE_INTEGER;
    const out: RunRecord[] = [];
    let token: string | undefined;
    do {
      const body: Record<string, unknown> = {
        experiment_ids: o.experimentIds,
        run_view_type: o.runViewType ?? 'ACTIVE_ONLY',
        max_results: Math.min(PAGE, max - out.length),
      };
      if (o.filter) body.filter = o.filter;
      if (o.orderBy?.length) body.order_by = o.orderBy;
      if (token) body.page_token = token;
      const r = await this.http.json<{ runs?: RunJson[]; next_page_token?: string }>('POST', `${API}/runs/search`, body);
      out.push(...(r.runs ?? []).map(runFromJson));
      token = r.next_page_token || undefined;
    } while (token && out.length < max);
    return out;
  }

  async getMetricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    const out: MetricPoint[] = [];
    let token: string | undefined;
    do {
      const r = await this.http.json<{ metrics?: MetricJson[]; next_page_token?: string }>('GET', `${API}/metrics/get-history`, undefined,
        { run_id: runId, metric_key: key, page_token: token });
      out.push(...(r.metrics ?? []).map(metricFromRest));
      token = r.next_page_token || undefined;
    } while (token);
    return out;
  }

  // ---- Model Registry
  async getRegisteredModel(name: string): Promise<RegisteredModel | undefined> {
    try {
      const r = await this.http.json<{ registered_model: RegisteredModelJson }>('GET', `${API}/registered-models/get`, undefined, { name });
      return registeredModelFromJson(r.registered_model);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async createRegisteredModel(name: string, o: { tags?: Record<string, string>; description?: string } = {}): Promise<RegisteredModel> {
    const body: Record<string, unknown> = { name };
    if (o.tags && Object.keys(o.tags).length) body.tags = toKvs(o.tags);
    if (o.description) body.description = o.description;
    const r = await this.http.json<{ registered_model: RegisteredModelJson }>('POST', `${API}/registered-models/create`, body);
    return registeredModelFromJson(r.registered_model);
  }

  async createModelVersion(o: CreateModelVersionOptions): Promise<ModelVersion> {
    const body: Record<string, unknown> = { name: o.name, source: o.source };
    if (o.runId) body.run_id = o.runId;
    if (o.tags && Object.keys(o.tags).length) body.tags = toKvs(o.tags);
    if (o.description) body.description = o.description;
    const r = await this.http.json<{ model_version: ModelVersionJson }>('POST', `${API}/model-versions/create`, body);
    return modelVersionFromJson(r.model_version);
  }

  // ---- artifacts
  private artifactTarget(run: RunInfo): { proxy: string } | { dir: string } {
    const proxy = proxyPath(run.artifactUri);
    if (proxy !== undefined) return { proxy };
    if (run.artifactUri.startsWith('file:')) return { dir: fileURLToPath(run.artifactUri) };
    if (run.artifactUri.startsWith('/')) return { dir: run.artifactUri };
    throw new Error(
      `run ${run.runId} stores artifacts at '${run.artifactUri}', which cellab cannot reach directly. ` +
        'Start the MLflow server with --serve-artifacts (artifacts then go through its proxy, mlflow-artifacts:/...).',
    );
  }

  async uploadArtifact(run: RunInfo, artifactPath: string, content: Uint8Array): Promise<void> {
    const rel = checkArtifactPath(artifactPath);
    const t = this.artifactTarget(run);
    if ('dir' in t) return writeLocalArtifact(t.dir, rel, content);
    await this.http.request('PUT', `${ARTIFACTS_API}/${encodePath(`${t.proxy}/${rel}`)}`, content, 'application/octet-stream');
  }

  async listArtifacts(run: RunInfo, path?: string): Promise<ArtifactEntry[]> {
    const rel = path ? checkArtifactPath(path) : '';
    const t = this.artifactTarget(run);
    if ('dir' in t) return listLocalArtifacts(t.dir, rel || undefined);
    const r = await this.http.json<{ files?: { path: string; is_dir?: boolean; file_size?: number | string }[] }>('GET', ARTIFACTS_API, undefined,
      { path: rel ? `${t.proxy}/${rel}` : t.proxy });
    return (r.files ?? []).map((f) => ({
      path: rel ? `${rel}/${f.path}` : f.path,
      isDir: Boolean(f.is_dir),
      ...(f.is_dir ? {} : { fileSize: Number(f.file_size ?? 0) }),
    }));
  }

  async downloadArtifact(run: RunInfo, path: string): Promise<Buffer> {
    const rel = checkArtifactPath(path);
    const t = this.artifactTarget(run);
    if ('dir' in t) return readLocalArtifact(t.dir, rel);
    return (await this.http.request('GET', `${ARTIFACTS_API}/${encodePath(`${t.proxy}/${rel}`)}`)).body;
  }
}
