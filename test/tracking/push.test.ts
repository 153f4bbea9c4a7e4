// cellab push: local runs replayed to a server with history, nesting,
// inputs and artifacts; pushing twice makes one copy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openTracking } from '../../src/tracking/tracking';
import { pushRuns } from '../../src/tracking/push';
import { FileStore } from '../../src/tracking/file-store';
import { MlflowTestServer } from './mlflow-server';

const FIXTURE = path.join(__dirname, 'fixtures', 'mlflow', 'filestore-2.22.4', 'mlruns');
const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), p));
const quiet = () => undefined;
const server = new MlflowTestServer();
before(() => server.start());
after(() => server.stop());

async function localSweep(store: string, experiment: string) {
  const t = await openTracking({ uri: store, log: quiet });
  const exp = await t.getOrCreateExperiment(experiment, { project: 'cellab' });
  const parent = await t.startRun({ experimentId: exp, runName: 'sweep', tags: { 'cellab.sweep_id': 's-1' } });
  const children = [];
  for (let i = 0; i < 2; i++) {
    const c = await t.startRun({ experimentId: exp, runName: `trial-${i}`, parentRunId: parent.runId });
    c.logParams({ train: { lr: 10 ** -(i + 2) }, fold: i });
    for (let e = 0; e < 30; e++) c.logMetrics({ 'train/loss': 1 / (e + 1 + i), 'val/accuracy': e / 30 }, e);
    c.logInput({ name: 'hep2-synthetic', digest: 'abcd1234', source: '{"uri": "data/hep2"}', context: 'train' });
    await c.logArtifact('plots/confusion_matrix.svg', `<svg id="${i}"/>`);
    await c.logArtifact('predictions.csv', 'id,path,label\n1,a.png,homogeneous\n');
    await c.end(i === 1 ? 'FAILED' : 'FINISHED');
    children.push(c);
  }
  parent.logMetric('mean/val/accuracy', 0.5, 0);
  await parent.end();
  return { t, exp, parent, children };
}

test('push copies runs with metric history, params, tags, inputs, artifacts and nesting; pushing twice gives one copy', async () => {
  const store = tmp('cellab-push-');
  const { t, parent, children } = await localSweep(store, 'push-once');
  const r1 = await pushRuns({ from: store, to: server.url, log: quiet });
  assert.deepEqual(r1.runs.map((r) => r.action), ['created', 'created', 'created']);
  assert.equal(r1.runs[0].localRunId, parent.runId, 'the parent goes first');
  const ids = new Map(r1.runs.map((r) => [r.localRunId, r.targetRunId]));
  const onServer = (local: string) => server.allRuns().find((r) => r.info.run_id === ids.get(local))!;

  for (const c of children) {
    const s = onServer(c.runId);
    const local = await t.getRun(c.runId);
    assert.equal(s.tags.get('mlflow.parentRunId'), ids.get(parent.runId), 'nested under the pushed parent');
    assert.equal(s.tags.get('cellab.pushed_from'), c.runId);
    assert.equal(s.tags.get('mlflow.runName'), local.info.runName);
    assert.equal(s.info.status, local.info.status);
    assert.equal(s.info.start_time, local.info.startTime);
    assert.equal(s.info.end_time, local.info.endTime);
    assert.deepEqual(Object.fromEntries(s.params), local.params);
    for (const key of ['train/loss', 'val/accuracy']) {
      const mine = (await t.getMetricHistory(c.runId, key)).map((p) => [p.step, p.timestamp, p.value]);
      const theirs = s.history.filter((p) => p.key === key).map((p) => [p.step, p.timestamp, p.value]);
      assert.deepEqual(theirs, mine, `${key}: steps and timestamps kept`);
    }
    assert.deepEqual(s.inputs.map((d) => [d.dataset.name, d.dataset.digest, d.tags?.[0]?.value]), [['hep2-synthetic', 'abcd1234', 'train']]);
    const exp = s.info.experiment_id;
    assert.equal(server.artifact(`${exp}/${s.info.run_id}/artifacts/plots/confusion_matrix.svg`)?.toString(), (await t.downloadArtifact(c.runId, 'plots/confusion_matrix.svg')).toString());
    assert.ok(server.artifact(`${exp}/${s.info.run_id}/artifacts/predictions.csv`));
  }
  const runsBefore = server.allRuns().length;
  const batchesBefore = server.count('/api/2.0/mlflow/runs/log-batch');
  const putsBefore = server.requests.filter((r) => r.method === 'PUT').length;

  const r2 = await pushRuns({ from: store, to: server.url, log: quiet });
  assert.deepEqual(r2.runs.map((r) => r.action), ['unchanged', 'unchanged', 'unchanged']);
  assert.deepEqual(r2.runs.map((r) => r.targetRunId), r1.runs.map((r) => r.targetRunId));
  assert.equal(server.allRuns().length, runsBefore, 'no second copy');
  assert.equal(server.count('/api/2.0/mlflow/runs/log-batch'), batchesBefore, 'nothing sent again');
  assert.equal(server.requests.filter((r) => r.method === 'PUT').length, putsBefore, 'no artifact uploaded again');
});

test('a run that went on after a push gets only its new points on the next push', async () => {
  const store = tmp('cellab-push-more-');
  const t = await openTracking({ uri: store, log: quiet });
  const exp = await t.getOrCreateExperiment('push-more');
  const run = await t.startRun({ experimentId: exp, runName: 'long' });
  for (let e = 0; e < 10; e++) run.logMetric('val/accuracy', e / 10, e);
  await run.flush();
  const first = await pushRuns({ from: store, to: server.url, log: quiet });
  assert.equal(first.runs[0].metrics, 10);
  for (let e = 10; e < 15; e++) run.logMetric('val/accuracy', e / 10, e);
  await run.end();
  const second = await pushRuns({ from: store, to: server.url, log: quiet });
  assert.equal(second.runs[0].action, 'updated');
  assert.equal(second.runs[0].metrics, 5);
  const s = server.allRuns().find((r) => r.info.run_id === first.runs[0].targetRunId)!;
  assert.deepEqual(s.history.map((p) => p.step), Array.from({ length: 15 }, (_, i) => i));
  assert.equal(s.info.status, 'FINISHED');
});

test('a store MLflow wrote, moved to another folder, pushes whole (NaN, FAILED, inputs, artifacts, experiment tags)', async () => {
  const moved = path.join(tmp('cellab-push-moved-'), 'elsewhere', 'mlruns');
  fs.cpSync(FIXTURE, moved, { recursive: true });
  const report = await pushRuns({ from: moved, to: server.url, experiment: 'hep2-patterns', log: quiet });
  assert.equal(report.runs.length, 3);
  const target = (runName: string) => server.allRuns().find((r) => r.info.run_id === report.runs.find((x) => x.runName === runName)!.targetRunId)!;
  const trial = target('trial-0');
  assert.deepEqual(trial.history.map((p) => [p.key, p.timestamp, p.value, p.step]).sort(), [
    ['train_loss', 1795321694000, 1.2, 0], ['train_loss', 1795321694002, 0.8, 1], ['val/accuracy', 1795321694001, 0.41, 0], ['val/accuracy', 1795321694002, 0.63, 1],
  ]);
  assert.equal(trial.tags.get('mlflow.parentRunId'), target('sweep').info.run_id);
  assert.equal(trial.inputs[0].dataset.schema, '{"mlflow_colspec": [{"type": "string", "name": "path", "required": true}, {"type": "string", "name": "label", "required": true}]}');
  assert.equal(server.artifact(`${trial.info.experiment_id}/${trial.info.run_id}/artifacts/plots/confusion_matrix.svg`)?.length, 41);
  const diverged = target('diverged-trial');
  assert.equal(diverged.info.status, 'FAILED');
  assert.deepEqual(diverged.history.map((p) => p.value), ['NaN']);
  const exp = await (await fetch(`${server.url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=hep2-patterns`)).json() as { experiment: { tags: unknown } };
  assert.deepEqual(exp.experiment.tags, [{ key: 'project', value: 'cellab' }]);
});

test('push errors name the problem: no such folder, no such experiment', async () => {
  await assert.rejects(pushRuns({ from: '/nonexistent/mlruns', to: server.url }), /push --from \/nonexistent\/mlruns: no such folder/);
  const store = tmp('cellab-push-err-');
  const t = await openTracking({ uri: store, log: quiet });
  await t.getOrCreateExperiment('present');
  await assert.rejects(pushRuns({ from: store, to: server.url, experiment: 'absent' }), /no experiment named 'absent' in .*Experiments there: .*present/);
  assert.ok(new FileStore(store).exists());
});
