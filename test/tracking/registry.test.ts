// The Model Registry: a model version per registration, the registered model created when
// absent (also when two registrations race), against the loopback MLflow server and in a
// local file store laid out as MLflow's registry FileStore.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MlflowRestClient } from '../../src/tracking/rest-client';
import { FileStore } from '../../src/tracking/file-store';
import { MlflowError } from '../../src/tracking/errors';
import { parsePyYaml } from '../../src/tracking/pyyaml';
import { registerModelVersion } from '../../src/tracking/registry';
import type { Store } from '../../src/tracking/types';
import { MlflowTestServer } from './mlflow-server';

const server = new MlflowTestServer();
before(() => server.start());
after(() => server.stop());

async function registerTwice(store: Store, runId: string, artifactUri: string) {
  const first = await registerModelVersion(store, { name: 'hep2-best', source: `${artifactUri}/checkpoint`, runId, tags: { 'test/accuracy': '0.91' } });
  assert.equal(first.createdModel, true);
  assert.deepEqual({ v: first.version.version, source: first.version.source, run: first.version.runId, tags: first.version.tags, status: first.version.status, stage: first.version.currentStage },
    { v: '1', source: `${artifactUri}/checkpoint`, run: runId, tags: { 'test/accuracy': '0.91' }, status: 'READY', stage: 'None' });
  const second = await registerModelVersion(store, { name: 'hep2-best', source: `${artifactUri}/checkpoint`, runId });
  assert.equal(second.createdModel, false);
  assert.equal(second.version.version, '2');
  const model = await store.getRegisteredModel('hep2-best');
  assert.equal(model?.name, 'hep2-best');
  assert.deepEqual(model?.latestVersions.map((v) => v.version), ['2']);
  assert.equal(await store.getRegisteredModel('nope'), undefined);
}

test('server: create-if-absent, then a new version per registration; racing registrations both land', async () => {
  const client = new MlflowRestClient({ uri: server.url, env: {}, retryDelaysMs: [] });
  const exp = await client.createExperiment('registry');
  const run = await client.createRun({ experimentId: exp, startTime: Date.now(), tags: {} });
  await registerTwice(client, run.runId, run.artifactUri);
  assert.equal(server.count('/api/2.0/mlflow/registered-models/create'), 1);
  const err = await client.createModelVersion({ name: 'missing', source: 'x' }).catch((e) => e);
  assert.ok(err instanceof MlflowError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST', String(err));
  await assert.rejects(registerModelVersion(client, { name: 'bad', source: 'mlflow-artifacts:/1/../../etc' }), /cannot add a version to registered model 'bad' in the Model Registry of http:\/\/127\.0\.0\.1:\d+: .*Invalid model version source/);
  const raced = await Promise.all([1, 2].map(() => registerModelVersion(client, { name: 'raced', source: `${run.artifactUri}/checkpoint`, runId: run.runId })));
  assert.deepEqual(raced.map((r) => r.version.version).sort(), ['1', '2']);
  assert.equal(server.registeredModels().find((m) => m.name === 'raced')?.versions.length, 2);
});

test('file store: the same calls, written where MLflow\'s registry FileStore keeps them', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-registry-'));
  const store = new FileStore(root);
  const exp = await store.createExperiment('registry');
  const run = await store.createRun({ experimentId: exp, startTime: Date.now(), tags: {} });
  await registerTwice(store, run.runId, run.artifactUri);
  const model = parsePyYaml(fs.readFileSync(path.join(root, 'models', 'hep2-best', 'meta.yaml'), 'utf8'), 'meta');
  assert.equal(model.name, 'hep2-best');
  assert.ok(Number(model.last_updated_timestamp) >= Number(model.creation_timestamp));
  const v1 = parsePyYaml(fs.readFileSync(path.join(root, 'models', 'hep2-best', 'version-1', 'meta.yaml'), 'utf8'), 'meta');
  assert.deepEqual({ version: v1.version, source: v1.source, run_id: v1.run_id, status: v1.status, current_stage: v1.current_stage },
    { version: 1, source: `${run.artifactUri}/checkpoint`, run_id: run.runId, status: 'READY', current_stage: 'None' });
  assert.equal(fs.readFileSync(path.join(root, 'models', 'hep2-best', 'version-1', 'tags', 'test', 'accuracy'), 'utf8'), '0.91');
  assert.deepEqual((await store.listExperiments()).map((e) => e.name).sort(), ['Default', 'registry'], 'models/ is not read as an experiment');
  await assert.rejects(store.createRegisteredModel('a/b'), /cannot be empty or contain '\/'/);
  await assert.rejects(store.createRegisteredModel('hep2-best'), /already exists/);
});
