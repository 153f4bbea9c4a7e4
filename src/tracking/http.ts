// HTTP for the MLflow client: Node's fetch, MLflow's auth variables, retries
// with backoff on no-answer / 5xx / 429, and errors that name the request.
import * as https from 'node:https';
import { MlflowAuthError, MlflowError, MlflowUnreachableError, isTransient } from './errors';
import { redactUri } from './project';

export type Auth = { kind: 'basic'; username: string; password: string } | { kind: 'bearer'; token: string };

export interface HttpOptions {
  /** Server URL; user-info in it (`http://user:pass@host`) is taken as basic auth. */
  uri: string;
  env?: NodeJS.ProcessEnv;
  /** Per-attempt timeout. */
  timeoutMs?: number;
  /** Waits between attempts; the number of retries is its length. */
  retryDelaysMs?: number[];
}

export const DEFAULT_RETRY_DELAYS_MS = [250, 500, 1000, 2000, 4000];

export interface HttpResponse {
  status: number;
  body: Buffer;
  contentType: string;
}

/** Credentials the way MLflow's Python client finds them: basic auth first, then a bearer token. */
export function authFromEnv(env: NodeJS.ProcessEnv, url: URL): Auth | undefined {
  if (url.username || url.password) {
    return { kind: 'basic', username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  }
  if (env.MLFLOW_TRACKING_USERNAME && env.MLFLOW_TRACKING_PASSWORD !== undefined) {
    return { kind: 'basic', username: env.MLFLOW_TRACKING_USERNAME, password: env.MLFLOW_TRACKING_PASSWORD };
  }
  if (env.MLFLOW_TRACKING_TOKEN) return { kind: 'bearer', token: env.MLFLOW_TRACKING_TOKEN };
  return undefined;
}

function isTrue(v: string | undefined): boolean {
  return v !== undefined && ['1', 'true', 'yes', 'on'].includes(v.trim().toLowerCase());
}

// fetch cannot skip certificate checks without undici's Agent (not a dependency):
// MLFLOW_TRACKING_INSECURE_TLS goes through node:https with rejectUnauthorized off.
function insecureRequest(url: URL, method: string, headers: Record<string, string>, body: Uint8Array | undefined, signal: AbortSignal): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, headers, rejectUnauthorized: false, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), contentType: String(res.headers['content-type'] ?? '') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function describeNetworkError(e: unknown): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return 'no answer before the timeout';
  const c = err?.cause;
  if (c?.code) return `${c.code}${c.message && !c.message.includes(c.code) ? ` (${c.message})` : ''}`;
  return c?.message ?? err?.message ?? String(e);
}

export class HttpClient {
  readonly baseUrl: string;
  /** The URI for messages and tags: no password. */
  readonly displayUri: string;
  readonly auth: Auth | undefined;
  private readonly insecure: boolean;
  private readonly timeoutMs: number;
  retryDelaysMs: number[];

  constructor(o: HttpOptions) {
    const env = o.env ?? process.env;
    const url = new URL(o.uri);
    this.auth = authFromEnv(env, url);
    this.displayUri = redactUri(o.uri);
    url.username = '';
    url.password = '';
    this.baseUrl = url.href.replace(/\/+$/, '');
    this.insecure = isTrue(env.MLFLOW_TRACKING_INSECURE_TLS);
    // MLflow's own variable (seconds, default 120).
    this.timeoutMs = o.timeoutMs ?? (Number(env.MLFLOW_HTTP_REQUEST_TIMEOUT) || 120) * 1000;
    this.retryDelaysMs = o.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  }

  private headers(contentType?: string): Record<string, string> {
    const h: Record<string, string> = { 'User-Agent': 'cellab-tracking' };
    if (contentType) h['Content-Type'] = contentType;
    if (this.auth?.kind === 'basic') h.Authorization = `Basic ${Buffer.from(`${this.auth.username}:${this.auth.password}`).toString('base64')}`;
    if (this.auth?.kind === 'bearer') h.Authorization = `Bearer ${this.auth.token}`;
    return h;
  }

  /** One attempt; throws MlflowUnreachableError when nothing answered. */
  private async once(method: string, path: string, body: Uint8Array | undefined, contentType: string | undefined): Promise<HttpResponse> {
    const url = new URL(this.baseUrl + path);
    const headers = this.headers(body ? contentType : undefined);
    const signal = AbortSignal.timeout(this.timeoutMs);
    try {
      if (this.insecure && url.protocol === 'https:') return await insecureRequest(url, method, headers, body, signal);
      const res = await fetch(url, { method, headers, body, signal });
      return { status: res.status, body: Buffer.from(await res.arrayBuffer()), contentType: res.headers.get('content-type') ?? '' };
    } catch (e) {
      const why = describeNetworkError(e);
      const tlsHint = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(why) ? ' Set MLFLOW_TRACKING_INSECURE_TLS=true to skip certificate checks for this server.' : '';
      throw new MlflowUnreachableError(`cannot reach the MLflow server at ${this.displayUri} (${method} ${path.split('?')[0]}): ${why}.${tlsHint}`, this.displayUri, e);
    }
  }

  private fail(method: string, path: string, res: HttpResponse): never {
    const where = `${method} ${path.split('?')[0]}`;
    let code = `HTTP_${res.status}`;
    let message = '';
    const text = res.body.toString('utf8');
    try {
      const j = JSON.parse(text) as { error_code?: string; message?: string };
      if (j.error_code) code = j.error_code;
      if (typeof j.message === 'string') message = j.message;
    } catch {
      // Not JSON: MLflow answers unknown paths with an HTML page.
      message = /<html|<!doctype/i.test(text) ? `an HTML page (${res.status}), not MLflow JSON: is ${this.displayUri} an MLflow tracking server, and is the path right?` : text.slice(0, 300);
    }
    if (res.status === 401 || res.status === 403) {
      const how = 'Set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (basic auth) or MLFLOW_TRACKING_TOKEN (bearer token)';
      const what = this.auth
        ? `refused the credentials (${this.auth.kind === 'basic' ? `basic auth as user '${this.auth.username}'` : 'bearer token'}): ${res.status} ${res.status === 401 ? 'Unauthorized' : 'Forbidden'}`
        : `requires credentials (${res.status}) and none were given`;
      throw new MlflowAuthError(`MLflow server ${this.displayUri} ${what} on ${where}. ${how} to credentials this server accepts.${message ? ` Server said: ${message.slice(0, 200)}` : ''}`,
        res.status, code, method, path);
    }
    throw new MlflowError(`MLflow ${where} failed: ${res.status} ${code}: ${message}`, res.status, code, method, path);
  }

  /**
   * A request with retries: on no answer, 5xx and 429 it waits (retryDelaysMs) and tries again.
   * Returns the body on 2xx; throws MlflowError / MlflowAuthError / MlflowUnreachableError.
   */
  async request(method: string, path: string, body?: Uint8Array, contentType?: string): Promise<HttpResponse> {
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await this.once(method, path, body, contentType);
        if (res.status >= 200 && res.status < 300) return res;
        this.fail(method, path, res);
      } catch (e) {
        if (!isTransient(e) || attempt >= this.retryDelaysMs.length) throw e;
        await new Promise((r) => setTimeout(r, this.retryDelaysMs[attempt]));
      }
    }
  }

  /** One quick attempt, no retries: does anything answer at all (any HTTP status counts)? */
  async probe(timeoutMs = 5_000): Promise<boolean> {
    try {
      const url = new URL(`${this.baseUrl}/api/2.0/mlflow/experiments/get-by-name?experiment_name=Default`);
      const signal = AbortSignal.timeout(timeoutMs);
      if (this.insecure && url.protocol === 'https:') await insecureRequest(url, 'GET', this.headers(), undefined, signal);
      else await (await fetch(url, { headers: this.headers(), signal })).arrayBuffer();
      return true;
    } catch {
      return false;
    }
  }

  async json<T>(method: 'GET' | 'POST', path: string, body?: unknown, query?: Record<string, string | number | undefined>): Promise<T> {
    let p = path;
    if (query) {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined) qs.set(k, String(v));
      const s = qs.toString();
      if (s) p += `?${s}`;
    }
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
    const res = await this.request(method, p, payload, 'application/json');
    const text = res.body.toString('utf8');
    if (text.trim() === '') return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new MlflowError(`MLflow ${method} ${path} answered ${res.status} with a body that is not JSON: ${text.slice(0, 120)}`, res.status, 'BAD_RESPONSE', method, path);
    }
  }
}
