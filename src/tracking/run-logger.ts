// The logger training uses. Every log* call is synchronous: it checks the key
// and value, then buffers. Full log-batch requests go out as soon as they are
// full, the rest on a timer, on flush() and on end(). When the server stops
// answering, the run carries on in the local spool store (see tracking.ts)
// and `cellab push` merges it back later.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { LIMITS, splitBatch } from './batching';
import { MlflowError } from './errors';
import { isOutage, type Connection } from './connection';
import type { Redactor } from './redact';
import { registerActiveRun, unregisterActiveRun } from './signals';
import type { DatasetInput, LogBatch, MetricPoint, RunInfo, RunStatus, Store } from './types';
import { MAX_TAG_LENGTH, checkKey, checkMetricValue, flattenParams, paramToString, shorten } from './values';

export type EndStatus = 'FINISHED' | 'FAILED' | 'KILLED';

export interface RunLogger {
  readonly runId: string;
  readonly experimentId: string;
  readonly artifactUri: string;
  /** RUNNING until end(); then the status it ended with. */
  readonly status: RunStatus;
  /** True once the run is being written to the local spool store instead of the server. */
  readonly spooled: boolean;
  logParam(key: string, value: unknown): void;
  /** Nested objects are flattened to dotted keys: {train: {lr: 0.1}} -> `train.lr`. */
  logParams(params: Record<string, unknown>): void;
  /** NaN and infinities are logged as such; anything that is not a number throws. */
  logMetric(key: string, value: number, step?: number, timestamp?: number): void;
  logMetrics(metrics: Record<string, number>, step?: number): void;
  setTag(key: string, value: string): void;
  setTags(tags: Record<string, string>): void;
  logInput(d: { name: string; digest: string; source: string; sourceType?: string; schema?: string; profile?: string; context?: string }): void;
  /** Params for every key of the resolved config, and the whole config as `config.yaml` (secrets removed). */
  logConfig(config: Record<string, unknown>, artifactPath?: string): Promise<void>;
  logArtifact(artifactPath: string, content: string | Uint8Array): Promise<void>;
  /** A file, or a folder (uploaded recursively under artifactPath). */
  logArtifactFile(localPath: string, artifactPath?: string): Promise<void>;
  flush(): Promise<void>;
  end(status?: EndStatus): Promise<void>;
  /**
   * Flush and let go of the run without ending it: it stays RUNNING for
   * another process to end (a sweep parent shared by shards). Signals and
   * process exit no longer touch it.
   */
  detach(): Promise<void>;
}

export interface RunTarget {
  store: Store;
  info: RunInfo;
}

export interface LoggerContext {
  connection?: Connection;
  /** Make (or find) the run's copy in the spool store; absent for local stores. */
  spool?: (logger: BufferedRunLogger) => Promise<RunTarget>;
  redactor: Redactor;
  maxParamLength: number;
  flushIntervalMs: number;
  log: (line: string) => void;
}

/** Everything the run has logged so far, to seed a spool copy. */
export interface RunSnapshot {
  info: RunInfo;
  params: { key: string; value: string }[];
  tags: Record<string, string>;
  inputs: DatasetInput[];
}

function redactConfig(o: unknown, r: Redactor): unknown {
  if (Array.isArray(o)) return o.map((x) => redactConfig(x, r));
  if (o !== null && typeof o === 'object') {
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, r.isSecretKey(k) && v !== null && typeof v !== 'object' && v !== '' ? '***' : redactConfig(v, r)]));
  }
  return typeof o === 'string' ? r.text(o) : o;
}

export class BufferedRunLogger implements RunLogger {
  readonly runId: string;
  readonly experimentId: string;
  status: RunStatus = 'RUNNING';
  /** log-batch requests sent to the primary store (for tests and reports). */
  requestsSent = 0;

  private params: LogBatch['params'] = [];
  private tags: LogBatch['tags'] = [];
  private metrics: MetricPoint[] = [];
  private inputs: DatasetInput[] = [];
  private readonly loggedParams = new Map<string, string>();
  private readonly allTags = new Map<string, string>();
  private readonly allInputs: DatasetInput[] = [];
  private chain: Promise<void> = Promise.resolve();
  private kickQueued = false;
  private timer: NodeJS.Timeout | undefined;
  private spoolTarget: RunTarget | undefined;
  private spooling: Promise<RunTarget> | undefined;
  private failure: Error | undefined;
  private ending: Promise<void> | undefined;

  constructor(
    private readonly primary: RunTarget,
    initialTags: Record<string, string>,
    private readonly ctx: LoggerContext,
    /** True when the run was created in the spool store from the start (server down). */
    startedSpooled = false,
  ) {
    this.runId = primary.info.runId;
    this.experimentId = primary.info.experimentId;
    for (const [k, v] of Object.entries(initialTags)) this.allTags.set(k, v);
    if (startedSpooled) this.spoolTarget = primary;
    registerActiveRun(this);
  }

  get artifactUri(): string {
    return this.primary.info.artifactUri;
  }

  get spooled(): boolean {
    return this.spoolTarget !== undefined;
  }

  snapshot(): RunSnapshot {
    return {
      info: this.primary.info,
      params: [...this.loggedParams].map(([key, value]) => ({ key, value })),
      tags: Object.fromEntries(this.allTags),
      inputs: [...this.allInputs],
    };
  }

  // ---- synchronous, buffered logging
  private checkOpen(): void {
    if (this.ending) throw new Error(`run ${this.runId} has ended (${this.status}); start a new run to log more.`);
  }

  logParam(key: string, value: unknown): void {
    this.checkOpen();
    checkKey('param', key);
    const v = shorten(this.ctx.redactor.value(key, paramToString(value)), this.ctx.maxParamLength);
    const old = this.loggedParams.get(key);
    if (old !== undefined) {
      if (old === v) return;
      throw new Error(
        `param \`${key}\` was already logged as '${old.slice(0, 80)}' in run ${this.runId}; MLflow does not allow changing it ` +
          `(new value '${v.slice(0, 80)}'). Log the new value under another key, or as a metric or tag.`,
      );
    }
    this.loggedParams.set(key, v);
    this.params.push({ key, value: v });
    this.scheduleFlush();
  }

  logParams(params: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(flattenParams(params))) this.logParam(k, v);
  }

  logMetric(key: string, value: number, step = 0, timestamp = Date.now()): void {
    this.checkOpen();
    checkKey('metric', key);
    const v = checkMetricValue(key, value);
    if (!Number.isInteger(step)) throw new TypeError(`metric \`${key}\`: step must be an integer (the epoch), got ${step}`);
    this.metrics.push({ key, value: v, timestamp: Math.trunc(timestamp), step });
    this.scheduleFlush();
  }

  logMetrics(metrics: Record<string, number>, step = 0): void {
    const ts = Date.now();
    for (const [k, v] of Object.entries(metrics)) this.logMetric(k, v, step, ts);
  }

  setTag(key: string, value: string): void {
    this.checkOpen();
    checkKey('tag', key);
    const v = shorten(this.ctx.redactor.value(key, String(value)), MAX_TAG_LENGTH);
    this.allTags.set(key, v);
    const i = this.tags.findIndex((t) => t.key === key);
    if (i >= 0) this.tags.splice(i, 1);
    this.tags.push({ key, value: v });
    this.scheduleFlush();
  }

  setTags(tags: Record<string, string>): void {
    for (const [k, v] of Object.entries(tags)) this.setTag(k, v);
  }

  logInput(d: { name: string; digest: string; source: string; sourceType?: string; schema?: string; profile?: string; context?: string }): void {
    this.checkOpen();
    if (!d.name || !d.digest) throw new Error('logInput needs a dataset name and digest');
    const input: DatasetInput = {
      name: d.name, digest: d.digest, source: this.ctx.redactor.text(d.source), sourceType: d.sourceType ?? 'local',
      schema: d.schema, profile: d.profile, context: d.context,
    };
    const same = (x: DatasetInput) => x.name === input.name && x.digest === input.digest && x.context === input.context;
    if (this.allInputs.some(same)) return;
    this.allInputs.push(input);
    this.inputs.push(input);
    this.scheduleFlush();
  }

  // ---- sending
  private pendingItems(): number {
    return this.params.length + this.tags.length + this.metrics.length;
  }

  private scheduleFlush(): void {
    if (this.pendingItems() >= LIMITS.items) {
      // A full request's worth: send now (after the current synchronous code).
      if (!this.kickQueued) {
        this.kickQueued = true;
        void this.kick(false);
      }
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.kick(true);
      }, this.ctx.flushIntervalMs);
      this.timer.unref();
    }
  }

  private kick(force: boolean): Promise<void> {
    this.chain = this.chain
      .then(() => {
        this.kickQueued = false;
        return this.drain(force);
      })
      .catch((e: Error) => {
        if (!this.failure) {
          this.failure = e;
          this.ctx.log(`tracking: run ${this.runId}: could not write: ${e.message}`);
        }
      });
    return this.chain;
  }

  /** Take up to `max` items: params first, then tags, then metrics. */
  private take(max: number): LogBatch {
    const params = this.params.splice(0, max);
    const tags = this.tags.splice(0, max - params.length);
    const metrics = this.metrics.splice(0, max - params.length - tags.length);
    return { params, tags, metrics };
  }

  private async drain(force: boolean): Promise<void> {
    for (;;) {
      const n = this.pendingItems();
      if (n === 0 && this.inputs.length === 0) return;
      // Between flushes only full requests go out, so a long run costs ceil(points / 1000) requests.
      const max = force ? n : Math.floor(n / LIMITS.items) * LIMITS.items;
      if (max === 0 && this.inputs.length === 0) return;
      const batch = this.take(max);
      for (const req of splitBatch(batch)) await this.write((t) => t.store.logBatch(t.info.runId, req), req);
      if (this.inputs.length) {
        const inputs = this.inputs.splice(0);
        await this.write((t) => t.store.logInputs(t.info.runId, inputs));
      }
      if (!force && this.pendingItems() < LIMITS.items) return;
    }
  }

  /** Switch to the spool store (once); later writes go there. */
  private toSpool(reason: unknown): Promise<RunTarget> {
    if (this.spoolTarget) return Promise.resolve(this.spoolTarget);
    if (!this.ctx.spool) throw reason;
    this.ctx.connection?.goOffline(reason);
    this.spooling ??= this.ctx.spool(this).then((t) => (this.spoolTarget = t));
    return this.spooling;
  }

  /** Run `op` against the server, or the spool when the server is gone. */
  private async write(op: (t: RunTarget) => Promise<void>, req?: LogBatch): Promise<void> {
    if (!this.spoolTarget && this.ctx.connection?.offline && this.ctx.spool) await this.toSpool('the server did not answer earlier');
    if (this.spoolTarget) return op(this.spoolTarget);
    try {
      await op(this.primary);
      if (req) this.requestsSent++;
    } catch (e) {
      if (e instanceof MlflowError && e.status === 400) {
        // The server will refuse this again, from here or from a push: say what and go on.
        const what = req ? `${req.metrics.length} metric point(s), ${req.params.length} param(s), ${req.tags.length} tag(s)` : 'a request';
        this.ctx.log(`tracking: run ${this.runId}: the server refused ${what}: ${e.message}`);
        return;
      }
      if (!this.ctx.spool || !(isOutage(e) || e instanceof MlflowError)) throw e;
      await op(await this.toSpool(e));
    }
  }

  // ---- artifacts (awaited by the caller, never inside a training step)
  async logArtifact(artifactPath: string, content: string | Uint8Array): Promise<void> {
    this.checkOpen();
    const bytes = this.ctx.redactor.bytes(typeof content === 'string' ? Buffer.from(content, 'utf8') : content);
    await this.write((t) => t.store.uploadArtifact(t.info, artifactPath, bytes));
  }

  async logArtifactFile(localPath: string, artifactPath?: string): Promise<void> {
    let st: fs.Stats;
    try {
      st = fs.statSync(localPath);
    } catch {
      throw new Error(`logArtifactFile: ${localPath} does not exist`);
    }
    const dest = artifactPath ?? path.basename(localPath);
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(localPath).sort()) await this.logArtifactFile(path.join(localPath, e), `${dest}/${e}`);
      return;
    }
    await this.logArtifact(dest, fs.readFileSync(localPath));
  }

  async logConfig(config: Record<string, unknown>, artifactPath = 'config.yaml'): Promise<void> {
    this.logParams(config);
    await this.logArtifact(artifactPath, stringify(redactConfig(config, this.ctx.redactor)));
  }

  async flush(): Promise<void> {
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    await this.kick(true);
    if (this.failure) throw this.failure;
  }

  async detach(): Promise<void> {
    try {
      await this.flush();
    } finally {
      unregisterActiveRun(this);
    }
  }

  end(status: EndStatus = 'FINISHED'): Promise<void> {
    if (this.ending) return this.ending;
    this.ending = (async () => {
      try {
        if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
        await this.kick(true);
        const endTime = Date.now();
        await this.write((t) => t.store.updateRun(t.info.runId, status, endTime));
        this.status = status;
        if (this.failure) throw this.failure;
      } finally {
        unregisterActiveRun(this);
      }
    })();
    return this.ending;
  }
}
