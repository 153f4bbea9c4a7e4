// openTracking(): one object for a tracking URI, a local MLflow file store or
// a server. Runs started here get MLflow's standard tags, buffered logging,
// signal handling, and (for servers) a local spool store for outages.
import * as path from 'node:path';
import { Connection, isOutage } from './connection';
import { LocalStoreError, MlflowError, NotFoundError } from './errors';
import { FileStore } from './file-store';
import { DEFAULT_RETRY_DELAYS_MS } from './http';
import { defaultStorePath, findProjectRoot, localStorePath, normaliseTrackingUri } from './project';
import { Redactor } from './redact';
import { MlflowRestClient } from './rest-client';
import { BufferedRunLogger, type RunLogger, type RunTarget } from './run-logger';
import { sourceTags } from './source-tags';
import type { ArtifactEntry, MetricPoint, RunRecord, RunStatus, SearchRunsOptions, Store } from './types';
import { DEFAULT_MAX_PARAM_LENGTH, MAX_TAG_LENGTH, checkKey, shorten } from './values';

export interface OpenTrackingOptions {
  /** A normalised tracking URI (see resolveTrackingUri); a bare path is taken as a local store. */
  uri: string;
  /** Local store for runs made while the server is unreachable (default: `<project root>/tracking/mlruns`). */
  spoolDir?: string;
  /** Where notices go (default: stderr). */
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Waits between retries of a failed request (default 0.25, 0.5, 1, 2, 4 s). */
  retryDelaysMs?: number[];
  /** Per-request timeout (default MLFLOW_HTTP_REQUEST_TIMEOUT or 120 s). */
  timeoutMs?: number;
  /** Partial batches go out this long after their first entry (default 5 s). */
  flushIntervalMs?: number;
  /** Longer param values are shortened with a marker (default 500: every MLflow version accepts it). */
  maxParamLength?: number;
  /** `mlflow.source.name` (default: the script's file name). */
  sourceName?: string;
}

export interface StartRunOptions {
  experimentId: string;
  runName?: string;
  tags?: Record<string, string>;
  /** Makes this a child run (`mlflow.parentRunId`): the MLflow UI nests it under the parent. */
  parentRunId?: string;
  startTime?: number;
}

export interface Tracking {
  /** The URI without credentials. */
  readonly uri: string;
  readonly kind: 'local' | 'server';
  /** Set once the server stopped answering and runs went to the spool store. */
  readonly offline: boolean;
  /**
   * The underlying store (REST client or file store) with this Tracking's credentials and retries,
   * for calls Tracking does not wrap (log-batch on a run without a logger, deleteRun...). Prefer it
   * to openStore(tracking.uri): `uri` has any password removed.
   */
  readonly store: Store;
  getOrCreateExperiment(name: string, tags?: Record<string, string>): Promise<string>;
  startRun(o: StartRunOptions): Promise<RunLogger>;
  searchRuns(o: SearchRunsOptions): Promise<RunRecord[]>;
  getRun(runId: string): Promise<RunRecord>;
  getMetricHistory(runId: string, key: string): Promise<MetricPoint[]>;
  /** Set the status of a run this process does not hold a logger for (e.g. a sweep parent). */
  setTerminated(runId: string, status: RunStatus, endTime?: number): Promise<void>;
  setTag(runId: string, key: string, value: string): Promise<void>;
  downloadArtifact(runId: string, path: string): Promise<Buffer>;
  listArtifacts(runId: string, path?: string): Promise<ArtifactEntry[]>;
  /** Flush every run started here (they stay open). */
  close(): Promise<void>;
}

/** A store for a URI: FileStore for file:/paths, MlflowRestClient for http(s). */
export function openStore(uri: string, o: { env?: NodeJS.ProcessEnv; retryDelaysMs?: number[]; timeoutMs?: number } = {}): Store {
  const norm = normaliseTrackingUri(uri);
  if (norm.startsWith('file:')) return new FileStore(localStorePath(norm));
  return new MlflowRestClient({ uri: norm, env: o.env, retryDelaysMs: o.retryDelaysMs, timeoutMs: o.timeoutMs });
}

/** The experiment's id, creating it when missing (another process creating it first is fine). */
export async function getOrCreateExperimentIn(store: Store, name: string, tags?: Record<string, string>): Promise<string> {
  const found = await store.getExperimentByName(name);
  if (found) {
    if (found.lifecycleStage === 'deleted') {
      throw new Error(`experiment '${name}' is deleted in ${store.uri}; restore it in the MLflow UI or pick another name.`);
    }
    return found.experimentId;
  }
  try {
    return await store.createExperiment(name, tags);
  } catch (e) {
    const exists = (e instanceof MlflowError || e instanceof LocalStoreError) && e.errorCode === 'RESOURCE_ALREADY_EXISTS';
    if (!exists) throw e;
    const again = await store.getExperimentByName(name);
    if (!again) throw e;
    return again.experimentId;
  }
}

class TrackingImpl implements Tracking {
  readonly kind: 'local' | 'server';
  private readonly spoolStore: FileStore | undefined;
  private readonly connection: Connection | undefined;
  private readonly redactor: Redactor;
  private readonly experimentNames = new Map<string, string>();
  private readonly spoolExperimentIds = new Set<string>();
  private readonly loggers = new Set<BufferedRunLogger>();

  constructor(
    readonly store: Store,
    private readonly o: OpenTrackingOptions,
    private readonly log: (line: string) => void,
  ) {
    this.kind = store.kind;
    const env = o.env ?? process.env;
    const uriPassword = (() => {
      try {
        return decodeURIComponent(new URL(o.uri).password) || undefined;
      } catch {
        return undefined;
      }
    })();
    this.redactor = Redactor.fromEnv(env, [uriPassword]);
    if (store.kind === 'server') {
      const spoolDir = path.resolve(o.spoolDir ?? defaultStorePath(findProjectRoot()));
      this.spoolStore = new FileStore(spoolDir);
      this.connection = new Connection(store.uri, spoolDir, log);
    }
  }

  get uri(): string {
    return this.store.uri;
  }

  get offline(): boolean {
    return this.connection?.offline ?? false;
  }

  /** While offline, is the server back? One quick try every 30 s. */
  private async serverUsable(): Promise<boolean> {
    const c = this.connection;
    if (!c || !c.offline) return true;
    if (!c.shouldReprobe()) return false;
    c.reprobed();
    const ok = await (this.store as MlflowRestClient).http.probe();
    if (ok) c.goOnline();
    return ok;
  }

  async getOrCreateExperiment(name: string, tags?: Record<string, string>): Promise<string> {
    if (await this.serverUsable()) {
      try {
        const id = await getOrCreateExperimentIn(this.store, name, tags);
        this.experimentNames.set(id, name);
        return id;
      } catch (e) {
        if (!this.spoolStore || !isOutage(e)) throw e;
        this.connection!.goOffline(e);
      }
    }
    const id = await getOrCreateExperimentIn(this.spoolStore!, name, tags);
    this.spoolExperimentIds.add(id);
    this.experimentNames.set(id, name);
    return id;
  }

  private runTags(o: StartRunOptions): Record<string, string> {
    const tags: Record<string, string> = { ...sourceTags({ sourceName: this.o.sourceName, env: this.o.env }) };
    for (const [k, v] of Object.entries(o.tags ?? {})) {
      checkKey('tag', k);
      tags[k] = shorten(this.redactor.value(k, String(v)), MAX_TAG_LENGTH);
    }
    if (o.runName !== undefined) tags['mlflow.runName'] = o.runName;
    if (o.parentRunId !== undefined) tags['mlflow.parentRunId'] = o.parentRunId;
    return tags;
  }

  private loggerContext() {
    return {
      connection: this.connection,
      spool: this.spoolStore ? (l: BufferedRunLogger) => this.spoolCopy(l) : undefined,
      redactor: this.redactor,
      maxParamLength: this.o.maxParamLength ?? DEFAULT_MAX_PARAM_LENGTH,
      flushIntervalMs: this.o.flushIntervalMs ?? 5_000,
      log: this.log,
    };
  }

  async startRun(o: StartRunOptions): Promise<RunLogger> {
    const tags = this.runTags(o);
    const create = { experimentId: o.experimentId, runName: o.runName, startTime: o.startTime ?? Date.now(), tags, userId: tags['mlflow.user'] };
    let logger: BufferedRunLogger | undefined;
    if (!this.spoolExperimentIds.has(o.experimentId) && (await this.serverUsable())) {
      try {
        const info = await this.store.createRun(create);
        logger = new BufferedRunLogger({ store: this.store, info }, tags, this.loggerContext());
      } catch (e) {
        if (!this.spoolStore || !isOutage(e)) throw e;
        this.connection!.goOffline(e);
      }
    }
    if (!logger) {
      // The server is down: the whole run lives in the spool store until `cellab push`.
      const spool = this.spoolStore!;
      const experimentId = this.spoolExperimentIds.has(o.experimentId)
        ? o.experimentId
        : await getOrCreateExperimentIn(spool, this.spoolExperimentName(o.experimentId));
      const info = await spool.createRun({ ...create, experimentId });
      logger = new BufferedRunLogger({ store: spool, info }, tags, this.loggerContext(), true);
    }
    this.loggers.add(logger);
    return logger;
  }

  private spoolExperimentName(experimentId: string): string {
    const name = this.experimentNames.get(experimentId);
    if (name) return name;
    this.log(`tracking: the name of experiment ${experimentId} is unknown offline; its spooled runs go to experiment 'experiment-${experimentId}' (push still finds runs that exist on the server)`);
    return `experiment-${experimentId}`;
  }

  /** The spool copy of a server run: same run id, everything logged so far. */
  private async spoolCopy(l: BufferedRunLogger): Promise<RunTarget> {
    const spool = this.spoolStore!;
    const snap = l.snapshot();
    const existing = await spool.findRun(snap.info.runId);
    let info = existing?.info;
    if (!info) {
      const experimentId = await getOrCreateExperimentIn(spool, this.spoolExperimentName(snap.info.experimentId));
      info = await spool.createRun({
        experimentId, runId: snap.info.runId, runName: snap.info.runName, startTime: snap.info.startTime, tags: snap.tags, userId: snap.info.userId,
      });
    }
    if (snap.params.length) await spool.logBatch(info.runId, { params: snap.params, tags: [], metrics: [] });
    if (snap.inputs.length) await spool.logInputs(info.runId, snap.inputs);
    return { store: spool, info };
  }

  /** The store that holds a run: the server, or the spool when it only exists there. */
  private async locate(runId: string): Promise<{ store: Store; run: RunRecord }> {
    let serverError: unknown;
    if (!this.connection?.offline) {
      try {
        const run = await this.store.findRun(runId);
        if (run) return { store: this.store, run };
      } catch (e) {
        if (!this.spoolStore || !isOutage(e)) throw e;
        serverError = e;
        this.connection!.goOffline(e);
      }
    }
    const spooled = await this.spoolStore?.findRun(runId);
    if (spooled) return { store: this.spoolStore!, run: spooled };
    if (serverError) throw serverError;
    throw new NotFoundError(`run ${runId} not found in ${this.uri}${this.spoolStore ? ` nor in the spool store ${this.spoolStore.root}` : ''}`);
  }

  async searchRuns(o: SearchRunsOptions): Promise<RunRecord[]> {
    const spoolIds = o.experimentIds.filter((id) => this.spoolExperimentIds.has(id));
    const serverIds = o.experimentIds.filter((id) => !this.spoolExperimentIds.has(id));
    const out: RunRecord[] = [];
    if (serverIds.length) out.push(...(await this.store.searchRuns({ ...o, experimentIds: serverIds })));
    if (spoolIds.length) out.push(...(await this.spoolStore!.searchRuns({ ...o, experimentIds: spoolIds })));
    return out;
  }

  async getRun(runId: string): Promise<RunRecord> {
    return (await this.locate(runId)).run;
  }

  async getMetricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    const { store } = await this.locate(runId);
    const points = await store.getMetricHistory(runId, key);
    // A run spooled mid-way has its first part on the server and the rest in the spool.
    if (store !== this.spoolStore && this.spoolStore && (await this.spoolStore.findRun(runId))) {
      const seen = new Set(points.map((p) => `${p.step}|${p.timestamp}|${p.value}`));
      for (const p of await this.spoolStore.getMetricHistory(runId, key)) if (!seen.has(`${p.step}|${p.timestamp}|${p.value}`)) points.push(p);
      points.sort((a, b) => a.step - b.step || a.timestamp - b.timestamp);
    }
    return points;
  }

  async setTerminated(runId: string, status: RunStatus, endTime = Date.now()): Promise<void> {
    // A run this process still logs to is ended through its logger (flushed first, signals released).
    const live = [...this.loggers].find((l) => l.runId === runId && l.status === 'RUNNING');
    if (live && (status === 'FINISHED' || status === 'FAILED' || status === 'KILLED')) return live.end(status);
    const { store } = await this.locate(runId);
    await store.updateRun(runId, status, endTime);
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    checkKey('tag', key);
    const { store } = await this.locate(runId);
    await store.setTag(runId, key, shorten(this.redactor.value(key, value), MAX_TAG_LENGTH));
  }

  async downloadArtifact(runId: string, p: string): Promise<Buffer> {
    const { store, run } = await this.locate(runId);
    return store.downloadArtifact(run.info, p);
  }

  async listArtifacts(runId: string, p?: string): Promise<ArtifactEntry[]> {
    const { store, run } = await this.locate(runId);
    return store.listArtifacts(run.info, p);
  }

  async close(): Promise<void> {
    for (const l of this.loggers) if (l.status !== 'RUNNING') this.loggers.delete(l);
    await Promise.all([...this.loggers].map((l) => l.flush()));
  }
}

/** Open a tracking URI. Nothing is contacted or created until the first call that needs it. */
export async function openTracking(o: OpenTrackingOptions): Promise<Tracking> {
  const uri = normaliseTrackingUri(o.uri);
  const store = openStore(uri, { env: o.env, retryDelaysMs: o.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS, timeoutMs: o.timeoutMs });
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  return new TrackingImpl(store, { ...o, uri }, log);
}
