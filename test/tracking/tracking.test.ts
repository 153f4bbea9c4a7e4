// openTracking() as training uses it, through a server outage.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openTracking } from '../../src/tracking/tracking';
import { pushRuns } from '../../src/tracking/push';
import { FileStore } from '../../src/tracking/file-store';
import { MlflowAuthError } from '../../src/tracking/errors';
import { MlflowTestServer } from './mlflow-server';

const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), p));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quiet = () => undefined;
const pointId = (p: { key: string; value: number | string; step: number; timestamp: number }) =>
  `${p.key}|${p.step}|${p.timestamp}|${typeof p.value === 'number' && Number.isNaN(p.value) ? 'NaN' : p.value}`;

test('the server stops for 10 s in the middle of a run: training carries on, the rest is spooled, push loses no point', async () => {
  const server = new MlflowTestServer();
  await server.start();
  const spool = tmp('cellab-outage-');
  const notices: string[] = [];
  const t = await openTracking({ uri: server.url, spoolDir: spool, log: (l) => notices.push(l), flushIntervalMs: 200 });
  const exp = await t.getOrCreateExperiment('outage');
  const parent = await t.startRun({ experimentId: exp, runName: 'sweep' });
  const run = await t.startRun({ experimentId: exp, runName: 'trial-0', parentRunId: parent.runId });
  run.logParams({ train: { lr: 0.01 } });
  const logged: { key: string; value: number; step: number; timestamp: number }[] = [];
  let stoppedAt = 0, restartedAt = 0;
  for (let epoch = 0; epoch < 48; epoch++) {
    const t0 = Date.now();
    for (const [key, value] of [['train/loss', 1 / (epoch + 1)], ['val/accuracy', epoch / 48], ['val/loss', epoch === 20 ? NaN : 2 / (epoch + 1)]] as const) {
      run.logMetric(key, value, epoch, t0);
      logged.push({ key, value, step: epoch, timestamp: t0 });
    }
    if (epoch === 4) { await server.stop(); stoppedAt = Date.now(); }
    if (stoppedAt && !restartedAt && Date.now() - stoppedAt >= 10_000) { await server.start(); restartedAt = Date.now(); }
    await sleep(250); // an epoch's worth of training; log calls never waited on the network
  }
  assert.ok(restartedAt - stoppedAt >= 10_000, 'the server was down for 10 s');
  await run.logArtifact('plots/confusion_matrix.svg', '<svg/>');
  await run.end();
  await parent.end();
  assert.ok(run.spooled, 'the run went on in the spool store');
  assert.equal(notices.filter((l) => l.includes('cellab push --from')).length, 1, `said once: ${notices.join('\n')}`);
  assert.match(notices.join('\n'), /cannot reach the MLflow server at http:\/\/127\.0\.0\.1:\d+.*ECONNREFUSED/);

  // Before push the server holds only the first part.
  const before = server.history(run.runId).length;
  assert.ok(before > 0 && before < logged.length, `${before} of ${logged.length} points reached the server before the outage`);

  const report = await pushRuns({ from: spool, to: server.url, log: quiet });
  const got = server.history(run.runId);
  assert.equal(got.length, logged.length, 'no point lost, none doubled');
  assert.deepEqual(new Set(got.map(pointId)), new Set(logged.map(pointId)));
  const r = server.allRuns().find((x) => x.info.run_id === run.runId)!;
  assert.equal(r.info.status, 'FINISHED');
  assert.equal(r.tags.get('mlflow.parentRunId'), parent.runId);
  assert.equal(r.params.get('train.lr'), '0.01');
  assert.ok(server.artifact(`${exp}/${run.runId}/artifacts/plots/confusion_matrix.svg`));
  assert.equal(server.allRuns().find((x) => x.info.run_id === parent.runId)!.info.status, 'FINISHED');
  assert.equal(server.allRuns().length, 2, 'merged into the same runs, no copies');
  assert.deepEqual(report.runs.map((x) => x.targetRunId).sort(), [parent.runId, run.runId].sort());

  const again = await pushRuns({ from: spool, to: server.url, log: quiet });
  assert.deepEqual(again.runs.map((x) => x.action), ['unchanged', 'unchanged']);
  assert.equal(server.history(run.runId).length, logged.length);
  await server.stop();
});

test('a server that is down from the start: the run lives in the spool store and push creates it later', async () => {
  const server = new MlflowTestServer();
  await server.start();
  await server.stop();
  const spool = tmp('cellab-down-');
  const notices: string[] = [];
  const t = await openTracking({ uri: server.url, spoolDir: spool, log: (l) => notices.push(l), retryDelaysMs: [10] });
  const exp = await t.getOrCreateExperiment('offline-exp');
  const run = await t.startRun({ experimentId: exp, runName: 'trial-0' });
  assert.ok(run.spooled);
  assert.ok(t.offline);
  for (let e = 0; e < 5; e++) run.logMetric('val/accuracy', e / 5, e);
  await run.end();
  assert.equal(notices.length, 1);
  // The run is found through the same Tracking while offline.
  assert.equal((await t.getRun(run.runId)).metrics['val/accuracy'], 0.8);
  assert.equal((await t.searchRuns({ experimentIds: [exp] })).length, 1);
  assert.equal(new FileStore(spool).exists(), true);

  await server.start();
  await pushRuns({ from: spool, to: server.url, log: quiet });
  const [pushed] = server.allRuns();
  assert.equal(pushed.tags.get('cellab.pushed_from'), run.runId);
  assert.equal(pushed.info.run_name, 'trial-0');
  assert.equal(pushed.history.length, 5);
  await server.stop();
});

test('wrong credentials stop the run with a clear message instead of spooling', async () => {
  const server = new MlflowTestServer({ auth: { username: 'ana', password: 'right' } });
  await server.start();
  try {
    const t = await openTracking({ uri: server.url, spoolDir: tmp('cellab-auth-'), log: quiet, env: { MLFLOW_TRACKING_USERNAME: 'ana', MLFLOW_TRACKING_PASSWORD: 'wrong' } });
    const e = await t.getOrCreateExperiment('x').catch((x) => x);
    assert.ok(e instanceof MlflowAuthError);
    assert.match(e.message, /refused the credentials .* Set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD/);
    assert.equal(t.offline, false);
  } finally {
    await server.stop();
  }
});

test('sweeps: setTerminated and setTag on a run without its logger, found back by search', async () => {
  const server = new MlflowTestServer();
  await server.start();
  try {
    const t = await openTracking({ uri: server.url, spoolDir: tmp('cellab-sw-'), log: quiet });
    const exp = await t.getOrCreateExperiment('sweep');
    assert.equal(await t.getOrCreateExperiment('sweep'), exp);
    const parent = await t.startRun({ experimentId: exp, runName: 'sweep', tags: { 'cellab.sweep_id': 'abc' } });
    await parent.flush();
    await t.setTag(parent.runId, 'cellab.outcome', 'partial');
    await t.setTerminated(parent.runId, 'FAILED');
    const [found] = await t.searchRuns({ experimentIds: [exp], filter: "tags.`cellab.sweep_id` = 'abc'" });
    assert.equal(found.info.runId, parent.runId);
    assert.equal(found.info.status, 'FAILED');
    assert.equal(found.tags['cellab.outcome'], 'partial');
    // The store underneath, for calls Tracking does not wrap.
    assert.equal(t.store.kind, 'server');
    await t.store.deleteRun(parent.runId);
    assert.deepEqual(await t.searchRuns({ experimentIds: [exp] }), []);
    await t.close();
  } finally {
    await server.stop();
  }
});
