import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { findProjectRoot, redactUri, resolveExperimentName, resolveTrackingUri } from '../../src/tracking/project';

test('the project root is the nearest folder holding package.json', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-root-'));
  fs.writeFileSync(path.join(root, 'package.json'), '{}');
  const deep = path.join(root, 'notebooks', 'sub');
  fs.mkdirSync(deep, { recursive: true });
  assert.equal(findProjectRoot(deep), root);
  assert.equal(findProjectRoot(root), root);
});

test('tracking URI precedence: --tracking-uri > MLFLOW_TRACKING_URI > tracking.uri > default store', () => {
  const projectRoot = '/proj';
  const env = { MLFLOW_TRACKING_URI: 'http://env:5000' };
  assert.equal(resolveTrackingUri({ cli: 'http://cli:5000/', config: 'http://cfg', env, projectRoot }), 'http://cli:5000');
  assert.equal(resolveTrackingUri({ config: 'http://cfg:1', env, projectRoot }), 'http://env:5000');
  assert.equal(resolveTrackingUri({ config: 'https://cfg:1', env: {}, projectRoot }), 'https://cfg:1');
  assert.equal(resolveTrackingUri({ env: {}, projectRoot }), 'file:///proj/tracking/mlruns');
  assert.equal(resolveTrackingUri({ cli: '', env: { MLFLOW_TRACKING_URI: ' ' }, projectRoot }), 'file:///proj/tracking/mlruns');
  // No scheme: a local store path, relative to the current directory.
  assert.equal(resolveTrackingUri({ cli: 'runs/store', env: {}, projectRoot }), pathToFileURL(path.resolve('runs/store')).href);
  assert.equal(resolveTrackingUri({ cli: 'file:///abs/store/', env: {}, projectRoot }), 'file:///abs/store');
  assert.throws(() => resolveTrackingUri({ cli: 'sqlite:///mlflow.db', env: {}, projectRoot }), /scheme 'sqlite:'.*mlflow server --backend-store-uri sqlite:\/\/\/mlflow.db/);
});

test('experiment name precedence: tracking.experiment > MLFLOW_EXPERIMENT_NAME > file name > Default', () => {
  assert.equal(resolveExperimentName({ config: 'cfg', fileName: 'file', env: { MLFLOW_EXPERIMENT_NAME: 'env' } }), 'cfg');
  assert.equal(resolveExperimentName({ fileName: 'file', env: { MLFLOW_EXPERIMENT_NAME: 'env' } }), 'env');
  assert.equal(resolveExperimentName({ fileName: 'hep2-patterns', env: {} }), 'hep2-patterns');
  assert.equal(resolveExperimentName({ env: {} }), 'Default');
});

test('passwords in URIs are hidden in messages', () => {
  assert.equal(redactUri('https://ana:s3cret@mlflow.lab:5000'), 'https://ana:***@mlflow.lab:5000');
  assert.equal(redactUri('http://mlflow.lab'), 'http://mlflow.lab');
});
