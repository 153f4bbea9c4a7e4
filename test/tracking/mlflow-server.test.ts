// The loopback server answers every recorded MLflow 2.22.4 exchange as the
// real server did (ids and server clock values aside): it is a faithful
// stand-in for the other tests.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MlflowTestServer } from './mlflow-server';

const FIXTURE = path.join(__dirname, 'fixtures', 'mlflow', 'rest-2.22.4.json');
interface Exchange { name: string; method: string; path: string; query: Record<string, string> | null; request: unknown; status: number; response: unknown }
const exchanges = (JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { exchanges: Exchange[] }).exchanges;

const server = new MlflowTestServer();
before(() => server.start());
after(() => server.stop());

// Server clock values differ from the recording's; everything else must match.
const CLOCK_KEYS = new Set(['creation_time', 'last_update_time']);
function normalise(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, CLOCK_KEYS.has(k) ? 0 : normalise(x)]));
  if (typeof v === 'string') return v.replace(/\b\d{13}\b/g, 'T');
  return v;
}

test('every recorded exchange gets the recorded status and body', async () => {
  const ids = new Map<string, string>(); // recorded id -> id on our server
  // Run ids are 32 hex digits (safe to replace anywhere); an experiment id like "3" only as a whole value or path segment.
  const swap = (s: string, from: string, to: string) =>
    from.length === 32 ? s.split(from).join(to) : s.split('/').map((seg) => (seg === from ? to : seg)).join('/');
  const mapDeep = (v: unknown, f: (s: string) => string, whole: Map<string, string>): unknown => {
    if (Array.isArray(v)) return v.map((x) => mapDeep(x, f, whole));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapDeep(x, f, whole)]));
    if (typeof v === 'string') return whole.get(v) ?? f(v);
    return v;
  };
  const toOurs = (s: string) => [...ids].reduce((acc, [rec, ours]) => swap(acc, rec, ours), s);
  const toRecorded = (s: string) => [...ids].reduce((acc, [rec, ours]) => swap(acc, ours, rec), s);
  const oursDeep = (v: unknown) => mapDeep(v, toOurs, new Map(ids));
  const recordedDeep = (v: unknown) => mapDeep(v, toRecorded, new Map([...ids].map(([a, b]) => [b, a])));
  for (const ex of exchanges) {
    const qs = ex.query ? `?${new URLSearchParams(Object.entries(ex.query).map(([k, v]) => [k, String(oursDeep(String(v)))]))}` : '';
    const url = `${server.url}${toOurs(ex.path)}${qs}`;
    let body: string | undefined;
    if (typeof ex.request === 'string') body = "<svg xmlns='http://www.w3.org/2000/svg'/>"; // recorded as "<41 bytes>"
    else if (ex.request !== null) body = JSON.stringify(oursDeep(ex.request));
    if (typeof ex.request === 'string') assert.equal(Buffer.byteLength(body!), Number(/<(\d+) bytes>/.exec(ex.request)![1]));
    const res = await fetch(url, { method: ex.method, body, headers: body ? { 'Content-Type': 'application/json' } : {} });
    const text = await res.text();
    const got = JSON.parse(text) as Record<string, unknown>;
    // Learn the ids our server assigned where the recording assigned its own.
    const rec = ex.response as Record<string, any>;
    if (ex.name === 'create experiment') ids.set(rec.experiment_id, String(got.experiment_id));
    if (ex.path.endsWith('/runs/create') && ex.status === 200) ids.set(rec.run.info.run_id, String((got as any).run.info.run_id));
    assert.equal(res.status, ex.status, `${ex.name}: status`);
    assert.deepEqual(normalise(recordedDeep(got)), normalise(ex.response), `${ex.name}: body`);
  }
  assert.equal(server.requests.length, exchanges.length);
});

test('unknown paths get an HTML 404, as MLflow answers them', async () => {
  const res = await fetch(`${server.url}/api/2.0/mlflow/no-such-endpoint`);
  assert.equal(res.status, 404);
  assert.match(res.headers.get('content-type') ?? '', /text\/html/);
  assert.match(await res.text(), /<title>404 Not Found<\/title>/);
});

test('state survives stop() and start() on the same port', async () => {
  const s = new MlflowTestServer();
  await s.start();
  const port = s.port;
  const created = await (await fetch(`${s.url}/api/2.0/mlflow/experiments/create`, { method: 'POST', body: JSON.stringify({ name: 'kept' }) })).json() as { experiment_id: string };
  await s.stop();
  await assert.rejects(fetch(`http://127.0.0.1:${port}/api/2.0/mlflow/experiments/get?experiment_id=${created.experiment_id}`));
  await s.start();
  assert.equal(s.port, port);
  const got = await (await fetch(`${s.url}/api/2.0/mlflow/experiments/get?experiment_id=${created.experiment_id}`)).json() as { experiment: { name: string } };
  assert.equal(got.experiment.name, 'kept');
  await s.stop();
});
