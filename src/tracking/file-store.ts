// MLflow's file store (`mlruns/`), written exactly as MLflow 2.x's Python
// FileStore writes it and readable by `mlflow ui --backend-store-uri ...`:
//   <exp>/meta.yaml, <exp>/tags/<k>, <exp>/datasets/<id>/meta.yaml,
//   <exp>/<run>/meta.yaml (numeric status), metrics/<key> lines `<ts> <value> <step>`
//   (a `/` in a key is a subfolder), params/<k> and tags/<k> without a trailing
//   newline, inputs/<id>/meta.yaml, artifacts/.
// Several processes may write different runs at once: each file is written
// whole (temp + rename) or appended, and experiment creation takes a lock.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LocalStoreError } from './errors';
import { dumpPyYaml, parsePyYaml, type YamlValue } from './pyyaml';
import { listLocalArtifacts, readLocalArtifact, writeLocalArtifact } from './local-artifacts';
import { FileRegistry } from './file-registry';
import { matchesFilter, parseFilter, sortRuns } from './search-filter';
import { parsePyFloat, pyFloat } from './values';
import type {
  CreateModelVersionOptions, ModelVersion, RegisteredModel,
  ArtifactEntry, CreateRunOptions, DatasetInput, Experiment, LogBatch, MetricPoint, RunInfo, RunRecord, RunStatus,
  SearchRunsOptions, Store,
} from './types';

const STATUS_CODE: Record<RunStatus, number> = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 };
const CODE_STATUS: Record<number, RunStatus> = { 1: 'RUNNING', 2: 'SCHEDULED', 3: 'FINISHED', 4: 'FAILED', 5: 'KILLED' };
const SOURCE_TYPE_LOCAL = 4;
const LOCK_NAME = '.cellab.lock';
const LOCK_STALE_MS = 30_000;

function atomicWrite(file: string, content: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Files below `dir` as `/`-joined keys (metrics/val/accuracy -> `val/accuracy`). */
function keysBelow(dir: string, prefix = ''): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    // No folder: nothing logged there. Any other failure must not look like "no metrics".
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return entries
    .filter((e) => !e.name.includes('.tmp-'))
    .flatMap((e) => (e.isDirectory() ? keysBelow(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
}

function readKeyValues(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of keysBelow(dir)) out[k] = fs.readFileSync(path.join(dir, ...k.split('/')), 'utf8');
  return out;
}

/** MLflow's dataset id: md5(name + digest). */
export function datasetId(name: string, digest: string): string {
  return crypto.createHash('md5').update(name, 'utf8').update(digest, 'utf8').digest('hex');
}
/** MLflow's run-input id: md5(dataset id + run id). */
export function inputId(dsId: string, runId: string): string {
  return crypto.createHash('md5').update(dsId, 'utf8').update(runId, 'utf8').digest('hex');
}

/** MLflow's file-store experiment id: the first 18 digits of a random 128-bit integer. */
function newExperimentId(): string {
  return BigInt(`0x${crypto.randomBytes(16).toString('hex')}`).toString().slice(0, 18);
}

const ADJECTIVES = ['amber', 'brave', 'calm', 'clever', 'crisp', 'eager', 'gentle', 'honest', 'lucid', 'merry', 'nimble', 'quiet', 'rare', 'steady', 'tidy', 'vivid'];
const NOUNS = ['cell', 'nucleus', 'stain', 'lens', 'slide', 'crop', 'mask', 'speckle', 'field', 'sample', 'well', 'dye', 'focus', 'pixel', 'probe', 'specimen'];

/** A name like MLflow gives unnamed runs (`adjective-noun-123`). */
export function randomRunName(): string {
  const pick = <T>(xs: T[]) => xs[crypto.randomInt(xs.length)];
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${crypto.randomInt(1000)}`;
}

export function newRunId(): string {
  return crypto.randomUUID().replace(/-/g, '');
}

export function parseMetricLines(key: string, text: string, file = `metric ${key}`): MetricPoint[] {
  const out: MetricPoint[] = [];
  const lines = text.split('\n');
  // A line without its newline may still be being written by another process.
  if (!text.endsWith('\n')) lines.pop();
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const parts = line.trim().split(/\s+/);
    const timestamp = Number(parts[0]);
    const value = parts.length >= 2 ? parsePyFloat(parts[1]) : NaN;
    const step = parts.length > 2 ? Number(parts[2]) : 0;
    // A point the store cannot read is reported, never dropped: it was logged.
    if (parts.length < 2 || parts.length > 3 || !Number.isFinite(timestamp) || !Number.isFinite(step) || (Number.isNaN(value) && parts[1].toLowerCase() !== 'nan')) {
      throw new LocalStoreError(`${file}:${i + 1}: '${line.slice(0, 80)}' is not a metric point ('<timestamp ms> <value> <step>'): the store is damaged; fix or delete that line`);
    }
    out.push({ key, value, timestamp, step });
  });
  return out;
}

/** MLflow's "latest" value: largest step, then timestamp, then value (NaN below numbers). */
export function latestPoint(points: MetricPoint[]): MetricPoint | undefined {
  let best: MetricPoint | undefined;
  for (const p of points) {
    if (!best) { best = p; continue; }
    const c = p.step - best.step || p.timestamp - best.timestamp ||
      (Number.isNaN(p.value) ? (Number.isNaN(best.value) ? 0 : -1) : Number.isNaN(best.value) ? 1 : p.value - best.value);
    if (c > 0) best = p;
  }
  return best;
}

export class FileStore implements Store {
  readonly kind = 'local' as const;
  readonly root: string;
  readonly uri: string;
  private readonly runDirs = new Map<string, string>();

  constructor(rootOrUri: string) {
    this.root = path.resolve(rootOrUri.startsWith('file:') ? fileURLToPath(rootOrUri) : rootOrUri);
    this.uri = pathToFileURL(this.root).href;
  }

  exists(): boolean {
    return fs.existsSync(this.root) && fs.statSync(this.root).isDirectory();
  }

  // ---- Model Registry (file-registry.ts: MLflow's registry layout under models/)
  getRegisteredModel(name: string): Promise<RegisteredModel | undefined> {
    return new FileRegistry(this.root).getRegisteredModel(name);
  }

  createRegisteredModel(name: string, o?: { tags?: Record<string, string>; description?: string }): Promise<RegisteredModel> {
    this.ensure();
    return new FileRegistry(this.root).createRegisteredModel(name, o);
  }

  createModelVersion(o: CreateModelVersionOptions): Promise<ModelVersion> {
    return new FileRegistry(this.root).createModelVersion(o);
  }

  /** Create the store and its Default experiment (id 0) as MLflow does on first use. */
  ensure(): void {
    fs.mkdirSync(path.join(this.root, '.trash'), { recursive: true });
    if (!fs.existsSync(path.join(this.root, '0', 'meta.yaml'))) {
      this.withLock(() => {
        if (!fs.existsSync(path.join(this.root, '0', 'meta.yaml'))) this.writeExperiment('0', 'Default', {});
      });
    }
  }

  private withLock<T>(fn: () => T): T {
    const lock = path.join(this.root, LOCK_NAME);
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        try {
          if (Date.now() - fs.statSync(lock).mtimeMs > LOCK_STALE_MS) { fs.rmSync(lock, { force: true }); continue; }
        } catch { continue; }
        if (Date.now() > deadline) throw new LocalStoreError(`could not lock ${lock} for 20 s; if no other cellab process is running, delete that file.`);
        sleepSync(5 + Math.random() * 20);
      }
    }
    try {
      return fn();
    } finally {
      fs.rmSync(lock, { force: true });
    }
  }

  // ---- experiments
  private experimentDirs(): string[] {
    if (!this.exists()) return [];
    return fs.readdirSync(this.root, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .map((d) => d.name);
  }

  private readExperiment(id: string): Experiment | undefined {
    const dir = path.join(this.root, id);
    const text = readText(path.join(dir, 'meta.yaml'));
    if (text === undefined) return undefined;
    const m = parsePyYaml(text, path.join(dir, 'meta.yaml'));
    return {
      experimentId: String(m.experiment_id ?? id),
      name: String(m.name ?? ''),
      artifactLocation: String(m.artifact_location ?? ''),
      lifecycleStage: m.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
      creationTime: m.creation_time == null ? undefined : Number(m.creation_time),
      lastUpdateTime: m.last_update_time == null ? undefined : Number(m.last_update_time),
      tags: readKeyValues(path.join(dir, 'tags')),
    };
  }

  private writeExperiment(id: string, name: string, tags: Record<string, string>): void {
    const dir = path.join(this.root, id);
    const now = Date.now();
    fs.mkdirSync(dir, { recursive: true });
    for (const [k, v] of Object.entries(tags)) atomicWrite(path.join(dir, 'tags', ...k.split('/')), v);
    atomicWrite(path.join(dir, 'meta.yaml'), dumpPyYaml({
      artifact_location: pathToFileURL(dir).href,
      creation_time: now,
      experiment_id: id,
      last_update_time: now,
      lifecycle_stage: 'active',
      name,
    }));
  }

  async listExperiments(): Promise<Experiment[]> {
    return this.experimentDirs().map((id) => this.readExperiment(id)).filter((e): e is Experiment => e !== undefined);
  }

  async getExperimentByName(name: string): Promise<Experiment | undefined> {
    return (await this.listExperiments()).find((e) => e.name === name);
  }

  async getExperiment(experimentId: string): Promise<Experiment> {
    const e = this.readExperiment(experimentId);
    if (!e) throw new LocalStoreError(`experiment ${experimentId} does not exist in ${this.root}`, 'RESOURCE_DOES_NOT_EXIST');
    return e;
  }

  async createExperiment(name: string, tags: Record<string, string> = {}): Promise<string> {
    if (!name.trim()) throw new LocalStoreError('an experiment needs a non-empty name', 'INVALID_PARAMETER_VALUE');
    this.ensure();
    // Under the lock, so two processes asking for the same new name create it once.
    return this.withLock(() => {
      const existing = this.experimentDirs().map((id) => this.readExperiment(id)).find((e) => e?.name === name);
      if (existing) throw new LocalStoreError(`Experiment '${name}' already exists in ${this.root}.`, 'RESOURCE_ALREADY_EXISTS');
      let id = newExperimentId();
      while (fs.existsSync(path.join(this.root, id))) id = newExperimentId();
      this.writeExperiment(id, name, tags);
      return id;
    });
  }

  // ---- runs
  private runDir(runId: string): string {
    if (!/^[0-9a-zA-Z_-]+$/.test(runId)) throw new LocalStoreError(`'${runId}' is not a run id`, 'INVALID_PARAMETER_VALUE');
    const cached = this.runDirs.get(runId);
    if (cached && fs.existsSync(path.join(cached, 'meta.yaml'))) return cached;
    for (const exp of this.experimentDirs()) {
      const dir = path.join(this.root, exp, runId);
      if (fs.existsSync(path.join(dir, 'meta.yaml'))) {
        this.runDirs.set(runId, dir);
        return dir;
      }
    }
    throw new LocalStoreError(`Run '${runId}' not found in ${this.root}`, 'RESOURCE_DOES_NOT_EXIST');
  }

  private readMeta(dir: string): Record<string, unknown> {
    const file = path.join(dir, 'meta.yaml');
    return parsePyYaml(fs.readFileSync(file, 'utf8'), file);
  }

  private infoFrom(dir: string, m: Record<string, unknown>): RunInfo {
    const status = CODE_STATUS[Number(m.status)] ?? (typeof m.status === 'string' && m.status in STATUS_CODE ? (m.status as RunStatus) : 'RUNNING');
    return {
      runId: String(m.run_id ?? m.run_uuid ?? path.basename(dir)),
      experimentId: String(m.experiment_id ?? path.basename(path.dirname(dir))),
      runName: m.run_name == null ? '' : String(m.run_name),
      userId: m.user_id == null ? '' : String(m.user_id),
      status,
      startTime: Number(m.start_time ?? 0),
      endTime: m.end_time == null ? undefined : Number(m.end_time),
      artifactUri: String(m.artifact_uri ?? ''),
      lifecycleStage: m.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
    };
  }

  /** Where a run's artifacts are on this machine, also after the store was copied or moved. */
  artifactDir(run: RunInfo): string {
    const inStore = path.join(this.runDir(run.runId), 'artifacts');
    if (!run.artifactUri.startsWith('file:')) return inStore;
    const recorded = fileURLToPath(run.artifactUri);
    // The store's own layout (`.../<exp>/<run>/artifacts`) always means "inside this store":
    // a copied store must not read or write the original's files.
    if (recorded.replace(/\\/g, '/').endsWith(`/${run.experimentId}/${run.runId}/artifacts`)) return inStore;
    return fs.existsSync(recorded) ? recorded : inStore;
  }

  private writeMeta(dir: string, info: RunInfo, extra: Record<string, YamlValue> = {}): void {
    atomicWrite(path.join(dir, 'meta.yaml'), dumpPyYaml({
      artifact_uri: info.artifactUri,
      end_time: info.endTime ?? null,
      entry_point_name: '',
      experiment_id: info.experimentId,
      lifecycle_stage: info.lifecycleStage,
      run_id: info.runId,
      run_name: info.runName,
      run_uuid: info.runId,
      source_name: '',
      source_type: SOURCE_TYPE_LOCAL,
      source_version: '',
      start_time: info.startTime,
      status: STATUS_CODE[info.status],
      tags: [],
      user_id: info.userId,
      ...extra,
    }));
  }

  async createRun(o: CreateRunOptions): Promise<RunInfo> {
    this.ensure();
    const exp = this.readExperiment(o.experimentId);
    if (!exp) throw new LocalStoreError(`No Experiment with id=${o.experimentId} exists in ${this.root}`, 'RESOURCE_DOES_NOT_EXIST');
    if (exp.lifecycleStage === 'deleted') throw new LocalStoreError(`experiment ${o.experimentId} is deleted`, 'INVALID_STATE');
    const runId = o.runId ?? newRunId();
    const dir = path.join(this.root, o.experimentId, runId);
    if (fs.existsSync(path.join(dir, 'meta.yaml'))) throw new LocalStoreError(`run ${runId} already exists in ${this.root}`, 'RESOURCE_ALREADY_EXISTS');
    fs.mkdirSync(dir, { recursive: true });
    const info: RunInfo = {
      runId,
      experimentId: o.experimentId,
      runName: o.runName ?? o.tags['mlflow.runName'] ?? randomRunName(),
      userId: o.userId ?? o.tags['mlflow.user'] ?? 'unknown',
      status: 'RUNNING',
      startTime: o.startTime,
      artifactUri: pathToFileURL(path.join(dir, 'artifacts')).href,
      lifecycleStage: 'active',
    };
    const tags = { ...o.tags };
    if (info.runName && tags['mlflow.runName'] === undefined) tags['mlflow.runName'] = info.runName;
    // MLflow's create_run writes meta.yaml (with `deleted_time: null`), metrics/, params/, artifacts/ and tags;
    // meta.yaml goes last here, so a process killed in between leaves no run without its tags (readers skip a folder without meta.yaml).
    for (const sub of ['metrics', 'params', 'artifacts']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
    for (const [k, v] of Object.entries(tags)) atomicWrite(path.join(dir, 'tags', ...k.split('/')), v);
    this.writeMeta(dir, info, { deleted_time: null });
    this.runDirs.set(runId, dir);
    return info;
  }

  private readInputs(dir: string, experimentId: string): DatasetInput[] {
    const inputsDir = path.join(dir, 'inputs');
    let ids: string[] = [];
    try { ids = fs.readdirSync(inputsDir).filter((n) => !n.startsWith('.')).sort(); } catch { return []; }
    const out: DatasetInput[] = [];
    for (const id of ids) {
      const text = readText(path.join(inputsDir, id, 'meta.yaml'));
      if (text === undefined) continue;
      const link = parsePyYaml(text, path.join(inputsDir, id, 'meta.yaml'));
      const dsText = readText(path.join(this.root, experimentId, 'datasets', String(link.source_id), 'meta.yaml'))
        ?? readText(path.join(path.dirname(dir), 'datasets', String(link.source_id), 'meta.yaml'));
      if (dsText === undefined) continue;
      const ds = parsePyYaml(dsText, `dataset ${link.source_id}`);
      const tags = (link.tags ?? {}) as Record<string, unknown>;
      out.push({
        name: String(ds.name ?? ''),
        digest: String(ds.digest ?? ''),
        source: ds.source == null ? '' : String(ds.source),
        sourceType: ds.source_type == null ? '' : String(ds.source_type),
        schema: ds.schema == null ? undefined : String(ds.schema),
        profile: ds.profile == null ? undefined : String(ds.profile),
        context: tags['mlflow.data.context'] == null ? undefined : String(tags['mlflow.data.context']),
      });
    }
    return out;
  }

  private readRun(dir: string): RunRecord {
    const info = this.infoFrom(dir, this.readMeta(dir));
    const metrics: Record<string, number> = {};
    for (const key of keysBelow(path.join(dir, 'metrics'))) {
      const file = path.join(dir, 'metrics', ...key.split('/'));
      const latest = latestPoint(parseMetricLines(key, readText(file) ?? '', file));
      if (latest) metrics[key] = latest.value;
    }
    return {
      info,
      metrics,
      params: readKeyValues(path.join(dir, 'params')),
      tags: readKeyValues(path.join(dir, 'tags')),
      inputs: this.readInputs(dir, info.experimentId),
    };
  }

  async getRun(runId: string): Promise<RunRecord> {
    return this.readRun(this.runDir(runId));
  }

  async findRun(runId: string): Promise<RunRecord | undefined> {
    try {
      return this.readRun(this.runDir(runId));
    } catch (e) {
      if (e instanceof LocalStoreError && (e.errorCode === 'RESOURCE_DOES_NOT_EXIST' || e.errorCode === 'INVALID_PARAMETER_VALUE')) return undefined;
      throw e;
    }
  }

  // MLflow rewrites meta.yaml without `deleted_time` unless it is deleting the run.
  private rewriteInfo(runId: string, change: (i: RunInfo) => RunInfo, extra?: Record<string, YamlValue>): void {
    const dir = this.runDir(runId);
    this.writeMeta(dir, change(this.infoFrom(dir, this.readMeta(dir))), extra);
  }

  async updateRun(runId: string, status: RunStatus, endTime?: number): Promise<void> {
    this.rewriteInfo(runId, (i) => ({ ...i, status, endTime: endTime ?? i.endTime }));
  }

  async deleteRun(runId: string): Promise<void> {
    this.rewriteInfo(runId, (i) => ({ ...i, lifecycleStage: 'deleted' }), { deleted_time: Date.now() });
  }

  async restoreRun(runId: string): Promise<void> {
    const dir = this.runDir(runId);
    const meta = this.readMeta(dir);
    this.writeMeta(dir, { ...this.infoFrom(dir, meta), lifecycleStage: 'active' });
  }

  private writeParam(dir: string, runId: string, key: string, value: string): void {
    const file = path.join(dir, 'params', ...key.split('/'));
    const old = readText(file);
    if (old !== undefined) {
      if (old === value) return;
      throw new LocalStoreError(
        `Changing param values is not allowed. Param with key='${key}' was already logged with value='${old}' for run ID='${runId}'. ` +
          `Attempted logging new value '${value}'.`, 'INVALID_PARAMETER_VALUE');
    }
    atomicWrite(file, value);
  }

  async logBatch(runId: string, batch: LogBatch): Promise<void> {
    const dir = this.runDir(runId);
    for (const p of batch.params) this.writeParam(dir, runId, p.key, p.value);
    for (const t of batch.tags) await this.setTag(runId, t.key, t.value);
    // One append per metric file and batch: fewer syscalls, and lines land whole.
    const byKey = new Map<string, string[]>();
    for (const m of batch.metrics) {
      const lines = byKey.get(m.key) ?? [];
      lines.push(`${Math.trunc(m.timestamp)} ${pyFloat(m.value)} ${Math.trunc(m.step)}\n`);
      byKey.set(m.key, lines);
    }
    for (const [key, lines] of byKey) {
      const file = path.join(dir, 'metrics', ...key.split('/'));
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.appendFileSync(file, lines.join(''));
    }
  }

  async logInputs(runId: string, inputs: DatasetInput[]): Promise<void> {
    const dir = this.runDir(runId);
    const expDir = path.dirname(dir);
    for (const d of inputs) {
      const dsId = datasetId(d.name, d.digest);
      const dsMeta = path.join(expDir, 'datasets', dsId, 'meta.yaml');
      if (!fs.existsSync(dsMeta)) {
        atomicWrite(dsMeta, dumpPyYaml({
          digest: d.digest, name: d.name, profile: d.profile ?? null, schema: d.schema ?? null, source: d.source, source_type: d.sourceType,
        }));
      }
      const inMeta = path.join(dir, 'inputs', inputId(dsId, runId), 'meta.yaml');
      if (!fs.existsSync(inMeta)) {
        // MLflow 2.x writes the dataset id as destination_id too (a bug in its FileStore, kept for an
        // identical layout); the run is the folder this file sits in.
        atomicWrite(inMeta, dumpPyYaml({
          destination_id: dsId, destination_type: 'RUN', source_id: dsId, source_type: 'DATASET',
          tags: d.context ? { 'mlflow.data.context': d.context } : {},
        }));
      }
    }
  }

  async setTag(runId: string, key: string, value: string): Promise<void> {
    const dir = this.runDir(runId);
    atomicWrite(path.join(dir, 'tags', ...key.split('/')), value);
    if (key === 'mlflow.runName') this.rewriteInfo(runId, (i) => ({ ...i, runName: value }));
  }

  async searchRuns(o: SearchRunsOptions): Promise<RunRecord[]> {
    const clauses = parseFilter(o.filter);
    const view = o.runViewType ?? 'ACTIVE_ONLY';
    const runs: RunRecord[] = [];
    for (const exp of o.experimentIds) {
      const expDir = path.join(this.root, exp);
      if (!fs.existsSync(path.join(expDir, 'meta.yaml'))) continue;
      for (const d of fs.readdirSync(expDir, { withFileTypes: true })) {
        if (!d.isDirectory() || d.name === 'tags' || d.name === 'datasets' || d.name.startsWith('.')) continue;
        const dir = path.join(expDir, d.name);
        if (!fs.existsSync(path.join(dir, 'meta.yaml'))) continue;
        let run: RunRecord;
        try {
          run = this.readRun(dir);
        } catch {
          // Another process may be writing the run right now: look again once. A run that still
          // cannot be read is damaged, and leaving it out would hide what it logged.
          sleepSync(50);
          try {
            run = this.readRun(dir);
          } catch (e) {
            throw new LocalStoreError(`run ${d.name} in ${this.root} cannot be read (${(e as Error).message}); fix or remove ${dir}`);
          }
        }
        if (view === 'ACTIVE_ONLY' && run.info.lifecycleStage !== 'active') continue;
        if (view === 'DELETED_ONLY' && run.info.lifecycleStage !== 'deleted') continue;
        if (matchesFilter(run, clauses)) runs.push(run);
      }
    }
    return sortRuns(runs, o.orderBy).slice(0, o.maxResults ?? Number.MAX_SAFE_INTEGER);
  }

  async getMetricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    const file = path.join(this.runDir(runId), 'metrics', ...key.split('/'));
    const text = readText(file);
    return text === undefined ? [] : parseMetricLines(key, text, file);
  }

  /** Every metric key of a run (for push). */
  metricKeys(runId: string): string[] {
    return keysBelow(path.join(this.runDir(runId), 'metrics')).sort();
  }

  async uploadArtifact(run: RunInfo, artifactPath: string, content: Uint8Array): Promise<void> {
    writeLocalArtifact(this.artifactDir(run), artifactPath, content);
  }

  async listArtifacts(run: RunInfo, p?: string): Promise<ArtifactEntry[]> {
    return listLocalArtifacts(this.artifactDir(run), p);
  }

  async downloadArtifact(run: RunInfo, p: string): Promise<Buffer> {
    return readLocalArtifact(this.artifactDir(run), p);
  }
}
