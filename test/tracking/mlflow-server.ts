// A real HTTP server on loopback that answers like MLflow 2.22.4's tracking
// server (sqlite backend, --serve-artifacts), as recorded in
// test/tracking/fixtures/mlflow/rest-2.22.4.json: same paths, status codes,
// error bodies, limits and quirks (param values cut at 6000 chars, "abc"
// metric values stored as 0, NaN as "NaN", unknown paths answered with an
// HTML 404). Written independently of src/tracking: it shares no code with the
// client it tests. Its state survives stop()/start(), so a test can simulate
// an outage.
//
// Not in the recording, from MLflow's documentation/source instead: the basic
// auth app's 401 text, the 1 MB body limit for log-batch (named in issue 6),
// page tokens, and the messages for missing fields and inactive runs; the Model
// Registry (registered-models/create and get, model-versions/create: fields and
// errors as MLflow's REST API reference and its registry stores give them;
// versions count from 1, stage "None", status READY).
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

type KV = { key: string; value: string };
type Metric = { key: string; value: number | string; timestamp: number; step: number };

interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  last_update_time: number;
  creation_time: number;
  tags: Map<string, string>;
}

interface Run {
  info: {
    run_uuid: string;
    experiment_id: string;
    run_name: string;
    user_id: string;
    status: string;
    start_time: number;
    end_time?: number;
    artifact_uri: string;
    lifecycle_stage: string;
    run_id: string;
  };
  params: Map<string, string>;
  tags: Map<string, string>;
  history: Metric[];
  latest: Map<string, Metric>;
  inputs: { tags?: KV[]; dataset: Record<string, string> }[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
  bytes: number;
  body?: unknown;
}

export type ServerAuth = { username: string; password: string } | { token: string };

class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

const MAX_PARAM_VALUE = 6000;
const MAX_BODY_BYTES = 1024 * 1024;
const STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'];
const NOT_FOUND_HTML = '<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n' +
  '<p>The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.</p>\n';
const UNAUTHENTICATED = 'You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to authenticate.';

const kvs = (m: Map<string, string>): KV[] => [...m].map(([key, value]) => ({ key, value }));
// Protobuf JSON leaves out empty repeated fields.
function withList<T extends object>(o: T, key: string, list: unknown[]): T {
  if (list.length) (o as Record<string, unknown>)[key] = list;
  return o;
}

function required(body: Record<string, unknown>, name: string): unknown {
  if (body[name] === undefined || body[name] === null || body[name] === '') {
    throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Missing value for required parameter '${name}'. See the API docs for more information about request parameters.`);
  }
  return body[name];
}

// The subset of MLflow's filter grammar clients send: AND-ed `prefix.key op value`.
function runFilter(filter: string): (r: Run) => boolean {
  const clauses = filter.split(/\s+and\s+/i).map((part) => {
    const m = /^\s*(\w+)\.(`[^`]+`|"[^"]+"|[\w.]+)\s*(=|!=|>=|<=|>|<|LIKE|ILIKE)\s*('([^']*)'|"([^"]*)"|[-\d.eE+]+)\s*$/i.exec(part);
    if (!m) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Invalid filter '${filter}'`);
    const prefix = m[1].toLowerCase().replace(/s$/, '');
    const key = m[2].replace(/^[`"]|[`"]$/g, '');
    const op = m[3].toUpperCase();
    const str = m[5] ?? m[6];
    const num = str === undefined ? Number(m[4]) : undefined;
    return (r: Run): boolean => {
      let actual: string | number | undefined;
      if (prefix === 'metric') {
        const v = r.latest.get(key)?.value;
        actual = v === undefined ? undefined : typeof v === 'number' ? v : NaN;
      } else if (prefix === 'param') actual = r.params.get(key);
      else if (prefix === 'tag') actual = r.tags.get(key);
      else if (prefix === 'attribute' || prefix === 'attr') actual = (r.info as unknown as Record<string, string | number | undefined>)[key];
      else throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Invalid entity type '${m[1]}'`);
      if (actual === undefined) return false;
      const want: string | number = num ?? str!;
      switch (op) {
        case '=': return actual === want;
        case '!=': return actual !== want;
        case '>': return actual > want;
        case '>=': return actual >= want;
        case '<': return actual < want;
        case '<=': return actual <= want;
        case 'LIKE':
        case 'ILIKE': {
          const re = new RegExp(`^${String(want).replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.')}$`, op === 'ILIKE' ? 'i' : '');
          return re.test(String(actual));
        }
      }
      return false;
    };
  });
  return (r) => clauses.every((c) => c(r));
}

export class MlflowTestServer {
  readonly requests: RecordedRequest[] = [];
  port = 0;
  private server: http.Server | undefined;
  private readonly experiments = new Map<string, Experiment>();
  private readonly runs = new Map<string, Run>();
  private readonly artifacts = new Map<string, Buffer>();
  private nextExperimentId = 1;
  private runNames = 0;
  private readonly models = new Map<string, { name: string; creation_timestamp: number; last_updated_timestamp: number; description?: string; tags: Map<string, string>;
    versions: Record<string, unknown>[] }>();

  private readonly auth: ServerAuth | undefined;
  /** Answer like a 3.x server: extra keys on metric objects (dataset_name, dataset_digest, model_id, run_id). */
  private readonly mlflow3Keys: boolean;

  /** Largest page a search returns, whatever max_results asks (MLflow caps at 50000). */
  private readonly pageCap: number;

  constructor(o: { auth?: ServerAuth; mlflow3Keys?: boolean; pageCap?: number } = {}) {
    this.auth = o.auth;
    this.pageCap = o.pageCap ?? 50_000;
    this.mlflow3Keys = o.mlflow3Keys ?? false;
    const now = Date.now();
    this.experiments.set('0', {
      experiment_id: '0', name: 'Default', artifact_location: 'mlflow-artifacts:/0', lifecycle_stage: 'active',
      last_update_time: now, creation_time: now, tags: new Map(),
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** Listen (again) on the same port as before, or a free one the first time. */
  async start(): Promise<void> {
    if (this.server) return;
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stop answering: close the socket and every open connection (the state is kept). */
  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private readonly faults = new Map<string, { status: number; code: string }>();

  /** Answer `route` (e.g. "GET /api/2.0/mlflow-artifacts/artifacts") with this error until cleared: a server fault mid-session. */
  fail(route: string, status: number, code = 'INTERNAL_ERROR'): void {
    this.faults.set(route, { status, code });
  }

  clearFaults(): void {
    this.faults.clear();
  }

  count(path: string): number {
    return this.requests.filter((r) => r.path === path).length;
  }

  /** Every metric point of a run (the test's ground truth). */
  history(runId: string): Metric[] {
    return [...(this.runs.get(runId)?.history ?? [])];
  }

  allRuns(): Run[] {
    return [...this.runs.values()];
  }

  artifact(path: string): Buffer | undefined {
    return this.artifacts.get(path);
  }

  /** Registered models with their versions (the test's ground truth). */
  registeredModels(): { name: string; tags: Map<string, string>; versions: Record<string, unknown>[] }[] {
    return [...this.models.values()];
  }

  // ---- HTTP plumbing
  private authorised(req: http.IncomingMessage): boolean {
    if (!this.auth) return true;
    const h = req.headers.authorization ?? '';
    if ('token' in this.auth) return h === `Bearer ${this.auth.token}`;
    return h === `Basic ${Buffer.from(`${this.auth.username}:${this.auth.password}`).toString('base64')}`;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const rec: RecordedRequest = { method, path: url.pathname, status: 0, bytes: raw.length };
    this.requests.push(rec);
    const send = (status: number, body: string | Buffer, type: string, headers: Record<string, string> = {}) => {
      rec.status = status;
      res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...headers });
      res.end(body);
    };
    if (!this.authorised(req)) {
      return send(401, UNAUTHENTICATED, 'text/html; charset=utf-8', { 'WWW-Authenticate': 'Basic realm="mlflow"' });
    }
    try {
      const fault = this.faults.get(`${method} ${url.pathname}`);
      if (fault) throw new ApiError(fault.status, fault.code, `injected fault on ${method} ${url.pathname}`);
      const artifactPrefix = '/api/2.0/mlflow-artifacts/artifacts/';
      if (url.pathname.startsWith(artifactPrefix)) {
        const p = decodeURIComponent(url.pathname.slice(artifactPrefix.length));
        if (method === 'PUT') {
          this.artifacts.set(p, raw);
          return send(200, '{}', 'application/json');
        }
        if (method === 'GET') {
          const b = this.artifacts.get(p);
          if (!b) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `File ${p} not found`);
          return send(200, b, 'application/octet-stream');
        }
      }
      let body: Record<string, unknown> = {};
      if (raw.length) {
        if (raw.length > MAX_BODY_BYTES) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Request body of ${raw.length} bytes exceeds the limit of ${MAX_BODY_BYTES} bytes.`);
        try {
          body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
        } catch {
          throw new ApiError(400, 'MALFORMED_REQUEST', 'Request body is not valid JSON');
        }
        rec.body = body;
      }
      const query = Object.fromEntries(url.searchParams);
      const route = `${method} ${url.pathname}`;
      const handler = this.routes[route];
      if (!handler) return send(404, NOT_FOUND_HTML, 'text/html; charset=utf-8');
      const out = handler(method === 'GET' ? query : body);
      return send(200, JSON.stringify(out), 'application/json');
    } catch (e) {
      if (e instanceof ApiError) return send(e.status, JSON.stringify({ error_code: e.code, message: e.message }), 'application/json');
      return send(500, JSON.stringify({ error_code: 'INTERNAL_ERROR', message: (e as Error).message }), 'application/json');
    }
  }

  // ---- entities
  private experimentJson(e: Experiment) {
    return withList({
      experiment_id: e.experiment_id, name: e.name, artifact_location: e.artifact_location, lifecycle_stage: e.lifecycle_stage,
      last_update_time: e.last_update_time, creation_time: e.creation_time,
    }, 'tags', kvs(e.tags));
  }

  private registeredModelJson(m: { name: string; creation_timestamp: number; last_updated_timestamp: number; description?: string; tags: Map<string, string>; versions: Record<string, unknown>[] }) {
    const latest = m.versions.length ? [m.versions[m.versions.length - 1]] : [];
    const out: Record<string, unknown> = { name: m.name, creation_timestamp: m.creation_timestamp, last_updated_timestamp: m.last_updated_timestamp };
    if (m.description) out.description = m.description;
    return withList(withList(out, 'latest_versions', latest), 'tags', kvs(m.tags));
  }

  private metricJson(r: Run, m: Metric) {
    return this.mlflow3Keys ? { ...m, dataset_name: '', dataset_digest: '', model_id: '', run_id: r.info.run_id } : m;
  }

  private runJson(r: Run, only?: 'tags') {
    const data = only === 'tags'
      ? withList({}, 'tags', kvs(r.tags))
      : withList(withList(withList({}, 'metrics', [...r.latest.values()].map((m) => this.metricJson(r, m))), 'params', kvs(r.params)), 'tags', kvs(r.tags));
    return { info: { ...r.info }, data, inputs: withList({}, 'dataset_inputs', r.inputs) };
  }

  private run(id: unknown): Run {
    const r = this.runs.get(String(id));
    if (!r) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${id} not found`);
    return r;
  }

  private activeRun(id: unknown): Run {
    const r = this.run(id);
    if (r.info.lifecycle_stage !== 'active') {
      throw new ApiError(400, 'INVALID_STATE', `The run ${id} must be in the 'active' state. Current state is ${r.info.lifecycle_stage}.`);
    }
    return r;
  }

  private logMetric(r: Run, m: Record<string, unknown>, where: string): void {
    if (m.key === undefined) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Missing value for required parameter '${where}.key'. See the API docs for more information about request parameters.`);
    if (m.value === undefined || m.value === null) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Missing value for required parameter '${where}.value'. See the API docs for more information about request parameters.`);
    if (m.timestamp === undefined || m.timestamp === null) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Missing value for required parameter '${where}.timestamp'. See the API docs for more information about request parameters.`);
    let value: number | string;
    let timestamp = Number(m.timestamp);
    if (typeof m.value === 'number') value = m.value;
    else if (m.value === 'NaN') value = 'NaN';
    else if (m.value === 'Infinity' || m.value === '-Infinity') value = m.value === 'Infinity' ? 1.7976931348623157e308 : -1.7976931348623157e308;
    else { value = 0; timestamp = 0; } // observed: a non-numeric value is stored as 0.0 with timestamp 0
    const point: Metric = { key: String(m.key), value, timestamp, step: m.step === undefined ? 0 : Number(m.step) };
    // (key, timestamp, step, value) is the table's primary key: an exact repeat is one point.
    if (r.history.some((p) => p.key === point.key && p.timestamp === point.timestamp && p.step === point.step && p.value === point.value)) return;
    r.history.push(point);
    const cur = r.latest.get(point.key);
    const num = (v: number | string) => (typeof v === 'number' ? v : -Infinity);
    if (!cur || point.step > cur.step || (point.step === cur.step && (point.timestamp > cur.timestamp || (point.timestamp === cur.timestamp && num(point.value) > num(cur.value))))) {
      r.latest.set(point.key, point);
    }
  }

  private logParams(r: Run, params: KV[]): void {
    const changed = params
      .filter((p) => r.params.has(p.key) && r.params.get(p.key) !== String(p.value).slice(0, MAX_PARAM_VALUE))
      .map((p) => `{'key': '${p.key}', 'old_value': '${r.params.get(p.key)}', 'new_value': '${p.value}'}`);
    if (changed.length) {
      throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Changing param values is not allowed. Params were already logged='[${changed.join(', ')}]' for run ID='${r.info.run_id}'.`);
    }
    for (const p of params) r.params.set(p.key, String(p.value).slice(0, MAX_PARAM_VALUE));
  }

  private setTag(r: Run, key: string, value: string): void {
    r.tags.set(key, value);
    if (key === 'mlflow.runName') r.info.run_name = value;
  }

  private batchLimit(kind: string, limit: number, n: number): void {
    if (n > limit) {
      throw new ApiError(400, 'INVALID_PARAMETER_VALUE',
        `A batch logging request can contain at most ${limit} ${kind}. Got ${n} ${kind}. Please split up ${kind} across multiple requests and try again.`);
    }
  }

  private listDir(prefix: string): { path: string; is_dir: boolean; file_size?: number }[] {
    const base = prefix.replace(/\/+$/, '') + '/';
    const seen = new Map<string, { path: string; is_dir: boolean; file_size?: number }>();
    for (const [p, b] of this.artifacts) {
      if (!p.startsWith(base)) continue;
      const rest = p.slice(base.length);
      const name = rest.split('/')[0];
      if (rest.includes('/')) seen.set(name, { path: name, is_dir: true });
      else seen.set(name, { path: name, is_dir: false, file_size: b.length });
    }
    return [...seen.values()].sort((a, b) => a.path.localeCompare(b.path));
  }

  private readonly routes: Record<string, (b: Record<string, unknown>) => unknown> = {
    'GET /api/2.0/mlflow/experiments/get-by-name': (q) => {
      const name = String(required(q, 'experiment_name'));
      const e = [...this.experiments.values()].find((x) => x.name === name);
      if (!e) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Could not find experiment with name '${name}'`);
      return { experiment: this.experimentJson(e) };
    },
    'GET /api/2.0/mlflow/experiments/get': (q) => {
      const e = this.experiments.get(String(required(q, 'experiment_id')));
      if (!e) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${q.experiment_id} exists`);
      return { experiment: this.experimentJson(e) };
    },
    'POST /api/2.0/mlflow/experiments/create': (b) => {
      const name = String(required(b, 'name'));
      if ([...this.experiments.values()].some((x) => x.name === name)) {
        const now = Date.now();
        throw new ApiError(400, 'RESOURCE_ALREADY_EXISTS',
          `Experiment(name=${name}) already exists. Error: (raised as a result of Query-invoked autoflush; consider using a session.no_autoflush block if this flush is occurring prematurely)\n` +
          '(sqlite3.IntegrityError) UNIQUE constraint failed: experiments.name\n' +
          '[SQL: INSERT INTO experiments (name, artifact_location, lifecycle_stage, creation_time, last_update_time) VALUES (?, ?, ?, ?, ?)]\n' +
          `[parameters: ('${name}', '', 'active', ${now}, ${now})]\n(Background on this error at: https://sqlalche.me/e/14/gkpj)`);
      }
      const id = String(this.nextExperimentId++);
      const now = Date.now();
      this.experiments.set(id, {
        experiment_id: id, name, artifact_location: `mlflow-artifacts:/${id}`, lifecycle_stage: 'active', last_update_time: now, creation_time: now,
        tags: new Map(((b.tags as KV[]) ?? []).map((t) => [t.key, t.value])),
      });
      return { experiment_id: id };
    },
    'POST /api/2.0/mlflow/experiments/search': (b) => {
      let list = [...this.experiments.values()].filter((e) => e.lifecycle_stage === 'active');
      if (typeof b.filter === 'string' && b.filter.trim()) {
        const m = /^\s*name\s*(=|LIKE|ILIKE)\s*'([^']*)'\s*$/i.exec(b.filter);
        if (!m) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Invalid filter '${b.filter}'`);
        const re = new RegExp(`^${m[2].replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.')}$`, m[1].toUpperCase() === 'ILIKE' ? 'i' : '');
        list = list.filter((e) => (m[1] === '=' ? e.name === m[2] : re.test(e.name)));
      }
      const max = Number(b.max_results ?? 1000);
      const offset = b.page_token ? Number(JSON.parse(Buffer.from(String(b.page_token), 'base64').toString()).offset) : 0;
      const page = list.slice(offset, offset + max);
      const out = withList({}, 'experiments', page.map((e) => this.experimentJson(e))) as Record<string, unknown>;
      if (offset + max < list.length) out.next_page_token = Buffer.from(JSON.stringify({ offset: offset + max })).toString('base64');
      return out;
    },
    'POST /api/2.0/mlflow/runs/create': (b) => {
      const expId = String(b.experiment_id ?? '0');
      if (!this.experiments.has(expId)) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${expId} exists`);
      const id = randomUUID().replace(/-/g, '');
      const tags = new Map(((b.tags as KV[]) ?? []).map((t) => [t.key, t.value]));
      const runName = (b.run_name as string | undefined) ?? tags.get('mlflow.runName') ?? `run-${++this.runNames}`;
      if (!tags.has('mlflow.runName')) tags.set('mlflow.runName', runName);
      const run: Run = {
        info: {
          run_uuid: id, experiment_id: expId, run_name: runName, user_id: String(b.user_id ?? ''), status: 'RUNNING',
          start_time: Number(b.start_time ?? Date.now()), artifact_uri: `mlflow-artifacts:/${expId}/${id}/artifacts`, lifecycle_stage: 'active', run_id: id,
        },
        params: new Map(), tags, history: [], latest: new Map(), inputs: [],
      };
      this.runs.set(id, run);
      return { run: this.runJson(run, 'tags') };
    },
    'GET /api/2.0/mlflow/runs/get': (q) => ({ run: this.runJson(this.run(required(q, 'run_id'))) }),
    'POST /api/2.0/mlflow/runs/update': (b) => {
      const r = this.run(required(b, 'run_id'));
      // Observed: an unknown status is accepted and changes nothing.
      if (typeof b.status === 'string' && STATUSES.includes(b.status)) r.info.status = b.status;
      if (b.end_time !== undefined) r.info.end_time = Number(b.end_time);
      if (typeof b.run_name === 'string') this.setTag(r, 'mlflow.runName', b.run_name);
      return { run_info: { ...r.info } };
    },
    'POST /api/2.0/mlflow/runs/delete': (b) => {
      this.run(required(b, 'run_id')).info.lifecycle_stage = 'deleted';
      return {};
    },
    'POST /api/2.0/mlflow/runs/restore': (b) => {
      this.run(required(b, 'run_id')).info.lifecycle_stage = 'active';
      return {};
    },
    'POST /api/2.0/mlflow/runs/log-batch': (b) => {
      const r = this.activeRun(required(b, 'run_id'));
      const metrics = (b.metrics as Record<string, unknown>[]) ?? [];
      const params = (b.params as KV[]) ?? [];
      const tags = (b.tags as KV[]) ?? [];
      this.batchLimit('metrics', 1000, metrics.length);
      this.batchLimit('params', 100, params.length);
      this.batchLimit('tags', 100, tags.length);
      this.batchLimit('metrics, params, and tags', 1000, metrics.length + params.length + tags.length);
      this.logParams(r, params);
      metrics.forEach((m, i) => this.logMetric(r, m, `metrics[${i}]`));
      for (const t of tags) this.setTag(r, t.key, t.value);
      return {};
    },
    'POST /api/2.0/mlflow/runs/log-metric': (b) => {
      this.logMetric(this.activeRun(required(b, 'run_id')), b, 'metric');
      return {};
    },
    'POST /api/2.0/mlflow/runs/log-parameter': (b) => {
      this.logParams(this.activeRun(required(b, 'run_id')), [{ key: String(required(b, 'key')), value: String(b.value) }]);
      return {};
    },
    'POST /api/2.0/mlflow/runs/set-tag': (b) => {
      this.setTag(this.activeRun(required(b, 'run_id')), String(required(b, 'key')), String(b.value));
      return {};
    },
    'POST /api/2.0/mlflow/runs/log-inputs': (b) => {
      const r = this.activeRun(required(b, 'run_id'));
      for (const d of (b.datasets as Run['inputs']) ?? []) {
        const same = r.inputs.some((x) => x.dataset.name === d.dataset.name && x.dataset.digest === d.dataset.digest &&
          JSON.stringify(x.tags ?? []) === JSON.stringify(d.tags ?? []));
        if (!same) r.inputs.push(d);
      }
      return {};
    },
    'POST /api/2.0/mlflow/runs/search': (b) => {
      const ids = ((b.experiment_ids as string[]) ?? []).map(String);
      const view = String(b.run_view_type ?? 'ACTIVE_ONLY');
      let list = [...this.runs.values()].filter((r) => ids.includes(r.info.experiment_id))
        .filter((r) => view === 'ALL' || (view === 'DELETED_ONLY' ? r.info.lifecycle_stage === 'deleted' : r.info.lifecycle_stage === 'active'));
      if (typeof b.filter === 'string' && b.filter.trim()) list = list.filter(runFilter(b.filter));
      const order = ((b.order_by as string[]) ?? [])[0];
      list.sort((x, y) => y.info.start_time - x.info.start_time || x.info.run_id.localeCompare(y.info.run_id));
      if (order) {
        const m = /^(\w+)\.(`[^`]+`|[\w.]+)\s*(ASC|DESC)?$/i.exec(order.trim());
        if (!m) throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Invalid order_by clause '${order}'`);
        const key = m[2].replace(/`/g, '');
        const get = (r: Run) => {
          const p = m[1].toLowerCase();
          if (p.startsWith('metric')) { const v = r.latest.get(key)?.value; return typeof v === 'number' ? v : undefined; }
          if (p.startsWith('param')) return r.params.get(key);
          if (p.startsWith('tag')) return r.tags.get(key);
          return (r.info as unknown as Record<string, string | number>)[key];
        };
        const desc = (m[3] ?? 'ASC').toUpperCase() === 'DESC';
        list.sort((x, y) => {
          const a = get(x), c = get(y);
          if (a === undefined) return c === undefined ? 0 : 1;
          if (c === undefined) return -1;
          const d = a < c ? -1 : a > c ? 1 : 0;
          return desc ? -d : d;
        });
      }
      const max = Math.min(this.pageCap, Number(b.max_results ?? 1000));
      const offset = b.page_token ? Number(JSON.parse(Buffer.from(String(b.page_token), 'base64').toString()).offset) : 0;
      const out = withList({}, 'runs', list.slice(offset, offset + max).map((r) => this.runJson(r))) as Record<string, unknown>;
      if (offset + max < list.length) out.next_page_token = Buffer.from(JSON.stringify({ offset: offset + max })).toString('base64');
      return out;
    },
    'GET /api/2.0/mlflow/metrics/get-history': (q) => {
      const r = this.run(required(q, 'run_id'));
      const key = String(required(q, 'metric_key'));
      return withList({}, 'metrics', r.history.filter((m) => m.key === key).map((m) => this.metricJson(r, m)));
    },
    'GET /api/2.0/mlflow/registered-models/get': (q) => {
      const name = String(required(q, 'name'));
      const m = this.models.get(name);
      if (!m) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Registered Model with name=${name} not found`);
      return { registered_model: this.registeredModelJson(m) };
    },
    'POST /api/2.0/mlflow/registered-models/create': (b) => {
      const name = String(required(b, 'name'));
      if (this.models.has(name)) throw new ApiError(400, 'RESOURCE_ALREADY_EXISTS', `Registered Model (name=${name}) already exists.`);
      const now = Date.now();
      const m = { name, creation_timestamp: now, last_updated_timestamp: now, description: b.description as string | undefined,
        tags: new Map(((b.tags as KV[]) ?? []).map((t) => [t.key, t.value])), versions: [] as Record<string, unknown>[] };
      this.models.set(name, m);
      return { registered_model: this.registeredModelJson(m) };
    },
    'POST /api/2.0/mlflow/model-versions/create': (b) => {
      const name = String(required(b, 'name'));
      const source = String(required(b, 'source'));
      const m = this.models.get(name);
      if (!m) throw new ApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Registered Model with name=${name} not found`);
      if (/(^|\/)\.\.(\/|$)/.test(source)) {
        throw new ApiError(400, 'INVALID_PARAMETER_VALUE', `Invalid model version source: '${source}'. If supplying a source as an http, https, local file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path must be provided without relative path references present. Please provide an absolute path.`);
      }
      const now = Date.now();
      const v = withList({
        name, version: String(m.versions.length + 1), creation_timestamp: now, last_updated_timestamp: now, current_stage: 'None', description: String(b.description ?? ''),
        source, run_id: String(b.run_id ?? ''), status: 'READY',
      }, 'tags', (b.tags as KV[]) ?? []);
      m.versions.push(v);
      m.last_updated_timestamp = now;
      return { model_version: v };
    },
    'GET /api/2.0/mlflow-artifacts/artifacts': (q) => withList({}, 'files', this.listDir(String(q.path ?? ''))),
    'GET /api/2.0/mlflow/artifacts/list': (q) => {
      const r = this.run(required(q, 'run_id') ?? q.run_uuid);
      const root = r.info.artifact_uri.replace(/^mlflow-artifacts:\//, '');
      const sub = q.path ? String(q.path).replace(/\/+$/, '') : '';
      const files = this.listDir(sub ? `${root}/${sub}` : root).map((f) => ({ ...f, path: sub ? `${sub}/${f.path}` : f.path }));
      return withList({ root_uri: r.info.artifact_uri }, 'files', files);
    },
  };
}
