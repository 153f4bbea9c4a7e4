// The REST client against a real loopback server that answers like MLflow 2.22.4.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { MlflowRestClient } from '../../src/tracking/rest-client';
import { MlflowAuthError, MlflowError, MlflowUnreachableError } from '../../src/tracking/errors';
import { MlflowTestServer } from './mlflow-server';

const server = new MlflowTestServer({ mlflow3Keys: true });
let client: MlflowRestClient;
before(async () => {
  await server.start();
  client = new MlflowRestClient({ uri: server.url, env: {}, retryDelaysMs: [] });
});
after(() => server.stop());

async function listen(s: http.Server | https.Server): Promise<number> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return (s.address() as AddressInfo).port;
}

test('experiments: missing, create with tags, find by name, duplicate name keeps MLflow\'s error', async () => {
  assert.equal(await client.getExperimentByName('hep2'), undefined);
  const id = await client.createExperiment('hep2', { project: 'cellab' });
  const e = await client.getExperimentByName('hep2');
  assert.deepEqual({ id: e?.experimentId, name: e?.name, tags: e?.tags, art: e?.artifactLocation }, { id, name: 'hep2', tags: { project: 'cellab' }, art: `mlflow-artifacts:/${id}` });
  const err = await client.createExperiment('hep2').catch((x) => x);
  assert.ok(err instanceof MlflowError);
  assert.equal(err.status, 400);
  assert.equal(err.errorCode, 'RESOURCE_ALREADY_EXISTS');
  assert.match(err.message, /POST \/api\/2.0\/mlflow\/experiments\/create failed: 400 RESOURCE_ALREADY_EXISTS: Experiment\(name=hep2\) already exists/);
  assert.ok((await client.listExperiments()).some((x) => x.name === 'Default'));
});

test('runs: create, log-batch, inputs, history, update, search, delete and restore (3.x keys tolerated)', async () => {
  const exp = await client.createExperiment('runs');
  const parent = await client.createRun({ experimentId: exp, runName: 'sweep', startTime: 1000, tags: { 'mlflow.user': 'ana' }, userId: 'ana' });
  const child = await client.createRun({ experimentId: exp, runName: 'trial-0', startTime: 1001, tags: { 'mlflow.parentRunId': parent.runId } });
  assert.equal(child.status, 'RUNNING');
  assert.equal(child.artifactUri, `mlflow-artifacts:/${exp}/${child.runId}/artifacts`);
  await client.logBatch(child.runId, {
    params: [{ key: 'train.lr', value: '0.001' }],
    tags: [{ key: 'cellab.backend', value: 'wasm' }],
    metrics: [
      { key: 'val/accuracy', value: 0.5, timestamp: 10, step: 0 },
      { key: 'val/accuracy', value: 0.75, timestamp: 20, step: 1 },
      { key: 'train/loss', value: NaN, timestamp: 20, step: 1 },
    ],
  });
  // The NaN went over the wire as MLflow's "NaN" string.
  const sent = server.requests.filter((r) => r.path.endsWith('/log-batch')).at(-1)!.body as { metrics: { value: unknown }[] };
  assert.equal(sent.metrics[2].value, 'NaN');
  await client.logInputs(child.runId, [{ name: 'hep2-synthetic', digest: 'a1b2', source: '{"uri": "data/hep2"}', sourceType: 'local', schema: '{}', context: 'train' }]);
  await client.updateRun(child.runId, 'FINISHED', 2000);

  const got = await client.getRun(child.runId);
  assert.equal(got.info.status, 'FINISHED');
  assert.equal(got.info.endTime, 2000);
  assert.equal(got.metrics['val/accuracy'], 0.75);
  assert.ok(Number.isNaN(got.metrics['train/loss']));
  assert.deepEqual(got.params, { 'train.lr': '0.001' });
  assert.equal(got.tags['mlflow.parentRunId'], parent.runId);
  assert.equal(got.tags['mlflow.runName'], 'trial-0');
  assert.deepEqual(got.inputs, [{ name: 'hep2-synthetic', digest: 'a1b2', source: '{"uri": "data/hep2"}', sourceType: 'local', schema: '{}', profile: undefined, context: 'train' }]);
  assert.deepEqual(await client.getMetricHistory(child.runId, 'val/accuracy'), [
    { key: 'val/accuracy', value: 0.5, timestamp: 10, step: 0 }, { key: 'val/accuracy', value: 0.75, timestamp: 20, step: 1 },
  ]);

  const children = await client.searchRuns({ experimentIds: [exp], filter: `tags.\`mlflow.parentRunId\` = '${parent.runId}'`, orderBy: ['metrics.`val/accuracy` DESC'] });
  assert.deepEqual(children.map((r) => r.info.runId), [child.runId]);
  assert.equal((await client.searchRuns({ experimentIds: [exp] })).length, 2);
  await client.deleteRun(child.runId);
  assert.equal((await client.searchRuns({ experimentIds: [exp] })).length, 1);
  assert.equal((await client.searchRuns({ experimentIds: [exp], runViewType: 'ALL' })).length, 2);
  await client.restoreRun(child.runId);
  assert.equal((await client.searchRuns({ experimentIds: [exp] })).length, 2);
});

test('search pages through more runs than one page holds', async () => {
  const small = new MlflowTestServer({ pageCap: 10 });
  await small.start();
  try {
    const c = new MlflowRestClient({ uri: small.url, env: {}, retryDelaysMs: [] });
    const exp = await c.createExperiment('many');
    for (let i = 0; i < 25; i++) await c.createRun({ experimentId: exp, startTime: i, tags: {} });
    const all = await c.searchRuns({ experimentIds: [exp] });
    assert.equal(all.length, 25);
    assert.equal(new Set(all.map((r) => r.info.runId)).size, 25);
    assert.equal(small.count('/api/2.0/mlflow/runs/search'), 3);
    assert.equal((await c.searchRuns({ experimentIds: [exp], maxResults: 7 })).length, 7);
  } finally {
    await small.stop();
  }
});

test('missing things: findRun gives undefined, getRun and createRun carry MLflow\'s 404', async () => {
  assert.equal(await client.findRun('00000000000000000000000000000000'), undefined);
  await assert.rejects(client.getRun('00000000000000000000000000000000'), (e: MlflowError) =>
    e.status === 404 && e.errorCode === 'RESOURCE_DOES_NOT_EXIST' && /Run with id=0{32} not found/.test(e.message));
  await assert.rejects(client.createRun({ experimentId: '999999999', startTime: 0, tags: {} }), /404 RESOURCE_DOES_NOT_EXIST: No Experiment with id=999999999 exists/);
});

test('artifacts go through the server\'s proxy: upload, list, download', async () => {
  const exp = await client.createExperiment('art');
  const run = await client.createRun({ experimentId: exp, startTime: 0, tags: {} });
  const svg = "<svg xmlns='http://www.w3.org/2000/svg'/>";
  await client.uploadArtifact(run, 'plots/confusion_matrix.svg', Buffer.from(svg));
  await client.uploadArtifact(run, 'config.yaml', Buffer.from('a: 1\n'));
  assert.equal(server.artifact(`${exp}/${run.runId}/artifacts/plots/confusion_matrix.svg`)?.toString(), svg);
  assert.deepEqual(await client.listArtifacts(run), [{ path: 'config.yaml', isDir: false, fileSize: 5 }, { path: 'plots', isDir: true }]);
  assert.deepEqual(await client.listArtifacts(run, 'plots'), [{ path: 'plots/confusion_matrix.svg', isDir: false, fileSize: 41 }]);
  assert.equal((await client.downloadArtifact(run, 'plots/confusion_matrix.svg')).toString(), svg);
  await assert.rejects(client.uploadArtifact(run, '../escape.txt', Buffer.from('x')), /must be relative inside the run's artifacts/);
});

test('a server whose artifact root is a file: folder gets its artifacts written there directly', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-artroot-'));
  const run = { runId: 'r1', experimentId: '1', runName: '', userId: '', status: 'RUNNING' as const, startTime: 0, artifactUri: pathToFileURL(dir).href, lifecycleStage: 'active' as const };
  await client.uploadArtifact(run, 'a/b.txt', Buffer.from('hello'));
  assert.equal(fs.readFileSync(path.join(dir, 'a', 'b.txt'), 'utf8'), 'hello');
  assert.deepEqual(await client.listArtifacts(run, 'a'), [{ path: 'a/b.txt', isDir: false, fileSize: 5 }]);
  await assert.rejects(client.uploadArtifact({ ...run, artifactUri: 's3://bucket/x' }, 'a.txt', Buffer.from('x')), /--serve-artifacts/);
});

test('credentials: basic auth, bearer token, and a clear message when they are refused', async () => {
  const basic = new MlflowTestServer({ auth: { username: 'ana', password: 'right-pass' } });
  const bearer = new MlflowTestServer({ auth: { token: 'tok-123456' } });
  await basic.start();
  await bearer.start();
  try {
    const ok = new MlflowRestClient({ uri: basic.url, env: { MLFLOW_TRACKING_USERNAME: 'ana', MLFLOW_TRACKING_PASSWORD: 'right-pass' } });
    assert.ok(await ok.getExperimentByName('Default'));
    const inUri = new MlflowRestClient({ uri: basic.url.replace('http://', 'http://ana:right-pass@'), env: {} });
    assert.ok(await inUri.getExperimentByName('Default'));
    assert.ok(!inUri.uri.includes('right-pass'));

    const wrong = new MlflowRestClient({ uri: basic.url, env: { MLFLOW_TRACKING_USERNAME: 'ana', MLFLOW_TRACKING_PASSWORD: 'wrong-pass' } });
    const e = await wrong.getExperimentByName('Default').catch((x) => x);
    assert.ok(e instanceof MlflowAuthError);
    assert.equal(e.status, 401);
    assert.match(e.message, /refused the credentials \(basic auth as user 'ana'\): 401 Unauthorized on GET \/api\/2.0\/mlflow\/experiments\/get-by-name\. Set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD \(basic auth\) or MLFLOW_TRACKING_TOKEN/);
    assert.ok(!e.message.includes('wrong-pass'));

    const none = new MlflowRestClient({ uri: basic.url, env: {} });
    await assert.rejects(none.createExperiment('x'), /requires credentials \(401\) and none were given/);

    assert.ok(await new MlflowRestClient({ uri: bearer.url, env: { MLFLOW_TRACKING_TOKEN: 'tok-123456' } }).getExperimentByName('Default'));
    await assert.rejects(new MlflowRestClient({ uri: bearer.url, env: { MLFLOW_TRACKING_TOKEN: 'tok-bad' } }).getExperimentByName('Default'), /refused the credentials \(bearer token\)/);
  } finally {
    await basic.stop();
    await bearer.stop();
  }
});

test('no answer: retried with backoff, then an error that names the server and the cause', async () => {
  const s = http.createServer();
  const port = await listen(s);
  await new Promise<void>((r) => s.close(() => r()));
  const c = new MlflowRestClient({ uri: `http://127.0.0.1:${port}`, env: {}, retryDelaysMs: [10, 20] });
  const t0 = Date.now();
  const e = await c.getExperimentByName('x').catch((x) => x);
  assert.ok(e instanceof MlflowUnreachableError, String(e));
  assert.match(e.message, new RegExp(`cannot reach the MLflow server at http://127.0.0.1:${port} \\(GET /api/2.0/mlflow/experiments/get-by-name\\): ECONNREFUSED`));
  assert.ok(Date.now() - t0 >= 30);
});

test('5xx answers are retried; the request succeeds once the server recovers', async () => {
  let calls = 0;
  const s = http.createServer((req, res) => {
    calls++;
    if (calls <= 2) { res.writeHead(503, { 'Content-Type': 'application/json' }); res.end('{"error_code":"TEMPORARILY_UNAVAILABLE","message":"busy"}'); return; }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ experiment: { experiment_id: '7', name: 'x', artifact_location: 'mlflow-artifacts:/7', lifecycle_stage: 'active', some_future_key: 1 } }));
  });
  const port = await listen(s);
  try {
    const e = await new MlflowRestClient({ uri: `http://127.0.0.1:${port}`, env: {}, retryDelaysMs: [5, 5] }).getExperimentByName('x');
    assert.equal(e?.experimentId, '7');
    assert.equal(calls, 3);
  } finally {
    s.close();
  }
});

test('a URL that is not an MLflow server: the HTML 404 is named as such', async () => {
  const c = new MlflowRestClient({ uri: `${server.url}/not-mlflow`, env: {}, retryDelaysMs: [] });
  await assert.rejects(c.getExperimentByName('x'), /an HTML page \(404\), not MLflow JSON: is http:\/\/127.0.0.1:\d+\/not-mlflow an MLflow tracking server/);
});

test('MLFLOW_TRACKING_INSECURE_TLS=true accepts a self-signed certificate; without it the error says so', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  const s = https.createServer({ key: fs.readFileSync(path.join(dir, 'k.pem')), cert: fs.readFileSync(path.join(dir, 'c.pem')) }, (req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ experiment: { experiment_id: '0', name: 'Default' } }));
  });
  const port = await listen(s);
  try {
    const uri = `https://127.0.0.1:${port}`;
    await assert.rejects(new MlflowRestClient({ uri, env: {}, retryDelaysMs: [] }).getExperimentByName('Default'), /MLFLOW_TRACKING_INSECURE_TLS=true/);
    const e = await new MlflowRestClient({ uri, env: { MLFLOW_TRACKING_INSECURE_TLS: 'true' }, retryDelaysMs: [] }).getExperimentByName('Default');
    assert.equal(e?.name, 'Default');
  } finally {
    s.close();
  }
});
