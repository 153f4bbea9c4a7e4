// `model.pretrained: experiment:NAME | runs:/ID` against a real HTTP server: a name
// or id that does not exist is bad config (and creates nothing); a server that
// fails is a store error, never "bad config".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openTracking } from '../../src/tracking/tracking';
import type { Tracking } from '../../src/tracking/tracking';
import { resolvePretrainedRun } from '../../src/experiment/pretrained-run';
import { ConfigError } from '../../src/engine/schema';
import { MlflowTestServer } from '../tracking/mlflow-server';

const server = new MlflowTestServer();
const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-pretrained-'));
let tracking: Tracking;
before(async () => {
  await server.start();
  tracking = await openTracking({ uri: server.url, retryDelaysMs: [], spoolDir: path.join(cache, 'spool'), log: () => undefined });
});
after(async () => {
  await tracking.close();
  await server.stop();
});

test('experiment:NAME that does not exist is a config error, and looking it up does not create it', async () => {
  await assert.rejects(resolvePretrainedRun(tracking, 'experiment:no-such-study', 'small-cnn', cache), (err: Error) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.match(err.message, /experiment 'no-such-study' does not exist in http:\/\/127\.0\.0\.1:\d+\. Run that experiment first/);
    return true;
  });
  assert.equal(server.count('/api/2.0/mlflow/experiments/create'), 0, 'no experiment was created');
  assert.equal(await tracking.store.getExperimentByName('no-such-study'), undefined);
});

test('runs:/ID of no run is a config error naming the id', async () => {
  await assert.rejects(resolvePretrainedRun(tracking, `runs:/${'0'.repeat(32)}`, 'small-cnn', cache), (err: Error) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.match(err.message, /model\.pretrained runs:\/0{32}: .*not found.*Check the run id/);
    return true;
  });
});

test('a server that fails while listing a run\'s artifacts is a store error naming the request, not bad config', async () => {
  const exp = await tracking.getOrCreateExperiment('patterns');
  const run = await tracking.startRun({ experimentId: exp, runName: 'pretrain' });
  run.logParams({ 'model.backbone': 'small-cnn' });
  await run.logArtifact('checkpoint/model.json', '{}');
  await run.end();
  server.fail('GET /api/2.0/mlflow-artifacts/artifacts', 503, 'TEMPORARILY_UNAVAILABLE');
  try {
    await assert.rejects(resolvePretrainedRun(tracking, 'experiment:patterns', 'small-cnn', cache), (err: Error) => {
      assert.ok(!(err instanceof ConfigError), `not a config error: ${err.message}`);
      assert.match(err.message, new RegExp(`model\\.pretrained experiment:patterns: cannot list the artifacts of run ${run.runId} in http://127\\.0\\.0\\.1:\\d+: .*503`));
      return true;
    });
  } finally {
    server.clearFaults();
  }
  // With the server back, the run is found.
  const found = await resolvePretrainedRun(tracking, 'experiment:patterns', 'small-cnn', cache);
  assert.equal(found.runId, run.runId);
  assert.ok(fs.existsSync(path.join(found.dir, 'model.json')));
});
