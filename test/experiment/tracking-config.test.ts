// The tracking keys for readable runs: validated, defaulted, outside the config hash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configHash, resolveConfig } from '../../src/experiment/config';
import { systemMetricsInterval } from '../../src/experiment/trial-extras';
import { errorAnalysisOptions } from '../../src/experiment/error-analysis';

const base = { name: 'x', dataset: { format: 'icpr2012', root: '/d' } };
const resolve = (tracking: Record<string, unknown>) => resolveConfig({ ...base, tracking }, { baseDir: '/', env: {} }).config;

test('defaults: no system metrics, error analysis on, no registration', () => {
  const c = resolve({});
  assert.equal(c.tracking.systemMetrics, false);
  assert.equal(systemMetricsInterval(c.tracking), undefined);
  assert.deepEqual(errorAnalysisOptions(c.tracking), { topLosses: 12, gradCam: 6, perClass: 8 });
  assert.equal(c.tracking.registerModel, undefined);
});

test('systemMetrics: true is every 10 s, or {interval}; errorAnalysis: false or counts; registerModel: a name', () => {
  assert.equal(systemMetricsInterval(resolve({ systemMetrics: true }).tracking), 10);
  assert.equal(systemMetricsInterval(resolve({ systemMetrics: { interval: 0.5 } }).tracking), 0.5);
  assert.equal(errorAnalysisOptions(resolve({ errorAnalysis: false }).tracking), undefined);
  assert.deepEqual(errorAnalysisOptions(resolve({ errorAnalysis: { gradCam: 0 } }).tracking), { topLosses: 12, gradCam: 0, perClass: 8 });
  assert.equal(resolve({ registerModel: 'hep2-best' }).tracking.registerModel, 'hep2-best');
  // What is logged, not what is computed: the config hash (and --resume) ignore them.
  assert.equal(configHash(resolve({ systemMetrics: true, registerModel: 'm', errorAnalysis: false })), configHash(resolve({})));
});

test('bad values and keys name the key', () => {
  assert.throws(() => resolve({ systemMetrics: 'often' }), /tracking\.systemMetrics/);
  assert.throws(() => resolve({ systemMetrics: { interval: 0 } }), /tracking\.systemMetrics/);
  assert.throws(() => resolve({ registerModels: 'm' }), /registerModels.*Did you mean `registerModel`/s);
  assert.throws(() => resolve({ errorAnalysis: { topLoss: 3 } }), /topLoss.*Did you mean `topLosses`/s);
});
