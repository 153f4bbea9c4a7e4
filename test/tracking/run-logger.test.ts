// The logger training uses, against the loopback MLflow server and a local store.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openTracking } from '../../src/tracking/tracking';
import { MlflowTestServer } from './mlflow-server';

const server = new MlflowTestServer();
before(() => server.start());
after(() => server.stop());
const quiet = () => undefined;
const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), p));

test('10,000 metric points of one run reach the server in at most 11 log-batch requests', async () => {
  const t = await openTracking({ uri: server.url, log: quiet, spoolDir: tmp('cellab-spool-') });
  const exp = await t.getOrCreateExperiment('throughput');
  const run = await t.startRun({ experimentId: exp, runName: 'long' });
  const before = server.count('/api/2.0/mlflow/runs/log-batch');
  run.logParams({ train: { lr: 0.001, epochs: 100, batchSize: 32 }, model: { backbone: 'small-cnn' } });
  run.setTag('cellab.backend', 'wasm');
  const logged: { key: string; value: number; step: number }[] = [];
  for (let epoch = 0; epoch < 100; epoch++) {
    for (let k = 0; k < 100; k++) {
      const value = Math.sin(epoch * 100 + k);
      run.logMetric(`train/m${k}`, value, epoch);
      logged.push({ key: `train/m${k}`, value, step: epoch });
    }
    await new Promise((r) => setImmediate(r)); // a training step yields; the logger is never awaited
  }
  await run.end();
  const requests = server.count('/api/2.0/mlflow/runs/log-batch') - before;
  assert.ok(requests <= 11, `${requests} log-batch requests`);
  const got = server.history(run.runId).map((m) => ({ key: m.key, value: m.value, step: m.step }));
  assert.equal(got.length, 10_000);
  assert.deepEqual(new Set(got.map((m) => JSON.stringify(m))), new Set(logged.map((m) => JSON.stringify(m))));
  assert.equal(server.allRuns().find((r) => r.info.run_id === run.runId)?.info.status, 'FINISHED');
});

test('children carry mlflow.parentRunId; every run carries MLflow\'s source tags and the git commit', async () => {
  const t = await openTracking({ uri: server.url, log: quiet, spoolDir: tmp('cellab-spool-'), sourceName: 'run-experiment' });
  const exp = await t.getOrCreateExperiment('sweep');
  const parent = await t.startRun({ experimentId: exp, runName: 'sweep', tags: { 'cellab.sweep_id': 's1' } });
  const child = await t.startRun({ experimentId: exp, runName: 'trial-0', parentRunId: parent.runId, tags: { 'mlflow.note.content': 'first trial' } });
  await child.end();
  await parent.end();
  const c = await t.getRun(child.runId);
  assert.equal(c.tags['mlflow.parentRunId'], parent.runId);
  assert.equal(c.tags['mlflow.runName'], 'trial-0');
  assert.equal(c.tags['mlflow.source.name'], 'run-experiment');
  assert.equal(c.tags['mlflow.source.type'], 'LOCAL');
  assert.equal(c.tags['mlflow.user'], os.userInfo().username);
  assert.equal(c.tags['mlflow.note.content'], 'first trial');
  const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: process.cwd() }).toString().trim();
  assert.equal(c.tags['mlflow.source.git.commit'], head);
  const kids = await t.searchRuns({ experimentIds: [exp], filter: `tags.\`mlflow.parentRunId\` = '${parent.runId}'` });
  assert.deepEqual(kids.map((r) => r.info.runId), [child.runId]);
  assert.equal((await t.getRun(parent.runId)).tags['mlflow.parentRunId'], undefined);
});

test('NaN and infinite metrics are logged as such; a value that is not a number is refused on the spot', async () => {
  const t = await openTracking({ uri: server.url, log: quiet, spoolDir: tmp('cellab-spool-') });
  const run = await t.startRun({ experimentId: await t.getOrCreateExperiment('nan') });
  run.logMetric('train/loss', NaN, 3);
  run.logMetric('train/grad', Infinity, 3);
  assert.throws(() => run.logMetric('train/acc', '0.5' as unknown as number), /metric `train\/acc` must be a number, got string '0.5'/);
  assert.throws(() => run.logMetric('val/f1 (macro)', 1), /not a valid MLflow name/);
  await run.end('FAILED');
  const r = await t.getRun(run.runId);
  assert.ok(Number.isNaN(r.metrics['train/loss']));
  assert.ok(r.metrics['train/grad'] > 1e300);
  assert.equal(r.metrics['train/acc'], undefined);
  assert.equal(r.info.status, 'FAILED');
  const sent = server.requests.filter((q) => q.path.endsWith('/log-batch')).flatMap((q) => (q.body as { metrics?: { value: unknown }[] }).metrics ?? []);
  assert.ok(sent.every((m) => typeof m.value === 'number' || ['NaN', 'Infinity', '-Infinity'].includes(m.value as string)));
});

test('params: changing one is refused at once, a long one is shortened with a marker and config.yaml keeps it whole', async () => {
  const t = await openTracking({ uri: server.url, log: quiet, spoolDir: tmp('cellab-spool-') });
  const run = await t.startRun({ experimentId: await t.getOrCreateExperiment('params') });
  const classes = Array.from({ length: 120 }, (_, i) => `class_${i}`);
  await run.logConfig({ train: { lr: 0.001 }, dataset: { classes } });
  run.logParam('train.lr', 0.001); // same value again: fine
  assert.throws(() => run.logParam('train.lr', 0.01), /param `train.lr` was already logged as '0.001'.*does not allow changing it/);
  await run.end();
  const r = await t.getRun(run.runId);
  assert.equal(r.params['train.lr'], '0.001');
  const long = r.params['dataset.classes'];
  assert.equal(long.length, 500);
  assert.match(long, /^\["class_0","class_1",.*\.\.\.\[\+\d+ chars, full value in config\.yaml\]$/);
  const yaml = (await t.downloadArtifact(run.runId, 'config.yaml')).toString();
  assert.match(yaml, /- class_119\n/);
});

test('credentials never reach params, tags or artifacts', async () => {
  const secured = new MlflowTestServer({ auth: { username: 'ana', password: 'pw-Very-Secret-1' } });
  await secured.start();
  try {
    const env = { MLFLOW_TRACKING_USERNAME: 'ana', MLFLOW_TRACKING_PASSWORD: 'pw-Very-Secret-1', MLFLOW_TRACKING_TOKEN: 'tok-Also-Secret-2' };
    const uri = secured.url;
    const t = await openTracking({ uri, env, log: quiet, spoolDir: tmp('cellab-spool-') });
    const run = await t.startRun({ experimentId: await t.getOrCreateExperiment('secrets'), tags: { 'cellab.note': 'token tok-Also-Secret-2 here' } });
    const config = {
      tracking: { uri: `http://ana:pw-Very-Secret-1@mlflow.lab:5000`, experiment: 'x' },
      storage: { password: 'db-Pass-3', apiKey: 'key-Four-4', tokenizer: 'bpe' },
      note: 'uses pw-Very-Secret-1',
    };
    await run.logConfig(config);
    run.setTag('cellab.uri', 'https://ana:pw-Very-Secret-1@mlflow.lab');
    run.setTag('secret_token', 'tok-Also-Secret-2');
    await run.logArtifact('notes.txt', 'login with pw-Very-Secret-1 or tok-Also-Secret-2 at http://u:db-Pass-3@h');
    await run.logArtifact('bytes.bin', Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from('pw-Very-Secret-1'), Buffer.from([255])]));
    await run.end();

    const everything = secured.allRuns().flatMap((r) => [...r.params.values(), ...r.tags.values(), ...r.params.keys(), ...r.tags.keys()]);
    const artifacts = [...['config.yaml', 'notes.txt', 'bytes.bin']].map((p) => secured.artifact(`1/${run.runId}/artifacts/${p}`)?.toString('latin1') ?? '');
    assert.ok(artifacts.every((a) => a.length > 0));
    for (const secret of ['pw-Very-Secret-1', 'tok-Also-Secret-2', 'db-Pass-3', 'key-Four-4']) {
      assert.ok(!everything.some((v) => v.includes(secret)), `${secret} in a param or tag`);
      assert.ok(!artifacts.some((a) => a.includes(secret)), `${secret} in an artifact`);
    }
    const r = await t.getRun(run.runId);
    assert.equal(r.params['storage.tokenizer'], 'bpe'); // not a secret, kept
    assert.equal(r.params['storage.password'], '***');
    assert.equal(r.params['tracking.uri'], 'http://ana:***@mlflow.lab:5000');
  } finally {
    await secured.stop();
  }
});

test('a local store gets the same run: params, metrics per step, status and artifacts', async () => {
  const store = tmp('cellab-store-');
  const t = await openTracking({ uri: store, log: quiet });
  assert.equal(t.kind, 'local');
  const run = await t.startRun({ experimentId: await t.getOrCreateExperiment('local'), runName: 'r' });
  run.logParams({ train: { lr: 0.01 } });
  for (let e = 0; e < 3; e++) run.logMetrics({ 'train/loss': 1 / (e + 1), 'val/accuracy': e / 4 }, e);
  await run.logArtifact('plots/a.svg', '<svg/>');
  await run.end('KILLED');
  const r = await t.getRun(run.runId);
  assert.deepEqual(r.params, { 'train.lr': '0.01' });
  assert.deepEqual(r.metrics, { 'train/loss': 1 / 3, 'val/accuracy': 0.5 });
  assert.equal(r.info.status, 'KILLED');
  assert.deepEqual((await t.getMetricHistory(run.runId, 'train/loss')).map((p) => [p.step, p.value]), [[0, 1], [1, 0.5], [2, 1 / 3]]);
  assert.equal((await t.downloadArtifact(run.runId, 'plots/a.svg')).toString(), '<svg/>');
  assert.throws(() => run.logMetric('x', 1), /has ended/);
});
