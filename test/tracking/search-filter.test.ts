import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FilterError, matchesFilter, parseFilter, sortRuns } from '../../src/tracking/search-filter';
import type { RunRecord } from '../../src/tracking/types';

function run(id: string, o: { metrics?: Record<string, number>; params?: Record<string, string>; tags?: Record<string, string>; status?: RunRecord['info']['status']; start?: number; name?: string }): RunRecord {
  return {
    info: { runId: id, experimentId: '1', runName: o.name ?? id, userId: 'me', status: o.status ?? 'FINISHED', startTime: o.start ?? 0, artifactUri: '', lifecycleStage: 'active' },
    metrics: o.metrics ?? {}, params: o.params ?? {}, tags: o.tags ?? {}, inputs: [{ name: 'hep2', digest: 'abc', source: '', sourceType: 'local', context: 'train' }],
  };
}
const runs = [
  run('a', { metrics: { 'val/accuracy': 0.9, loss: 0.2 }, params: { 'train.lr': '0.001', 'model.backbone': 'resnet18' }, tags: { 'mlflow.parentRunId': 'p1' }, start: 3, name: 'trial-0' }),
  run('b', { metrics: { 'val/accuracy': 0.7, loss: NaN }, params: { 'train.lr': '0.01', 'model.backbone': 'ResNet34' }, tags: { 'mlflow.parentRunId': 'p1' }, start: 2, status: 'FAILED', name: 'trial-1' }),
  run('c', { metrics: { loss: 0.5 }, params: { 'train.lr': '0.001' }, start: 1, name: 'other' }),
];
const ids = (filter: string) => runs.filter((r) => matchesFilter(r, parseFilter(filter))).map((r) => r.info.runId);

test('the recorded search filter selects the same runs MLflow did', () => {
  // From rest-2.22.4.json, exchange "search runs (filter, order)".
  assert.deepEqual(ids("params.`train.lr` = '0.001' and tags.`mlflow.parentRunId` = 'p1'"), ['a']);
});

test('metrics compare as numbers, params and tags as strings, attributes by kind', () => {
  assert.deepEqual(ids('metrics.`val/accuracy` > 0.75'), ['a']);
  assert.deepEqual(ids('metrics.`val/accuracy` <= 0.9 AND metrics.loss >= 0.1'), ['a']);
  assert.deepEqual(ids('metrics.loss < 1'), ['a', 'c']); // NaN compares false, as in MLflow
  assert.deepEqual(ids("params.train.lr != '0.001'"), ['b']);
  assert.deepEqual(ids("params.`model.backbone` LIKE 'resnet%'"), ['a']);
  assert.deepEqual(ids("params.`model.backbone` ILIKE 'resnet%'"), ['a', 'b']);
  assert.deepEqual(ids("attributes.status = 'FAILED'"), ['b']);
  assert.deepEqual(ids("attributes.run_name LIKE 'trial-_'"), ['a', 'b']);
  assert.deepEqual(ids("attributes.run_id IN ('a', 'c')"), ['a', 'c']);
  assert.deepEqual(ids('attributes.start_time > 1'), ['a', 'b']);
  assert.deepEqual(ids("tags.`mlflow.parentRunId` IS NULL"), ['c']);
  assert.deepEqual(ids("datasets.context = 'train'"), ['a', 'b', 'c']);
  assert.deepEqual(ids(''), ['a', 'b', 'c']);
});

test('mistakes get errors that say what is wrong', () => {
  assert.throws(() => parseFilter("params.lr > '0.1'"), /comparator '>' cannot be used with param 'lr'; use one of =, !=, LIKE/);
  assert.throws(() => parseFilter("metrics.acc = 'high'"), /metric 'acc' is compared with numbers/);
  assert.throws(() => parseFilter("metrics.a > 1 OR metrics.b > 1"), /only support AND/);
  assert.throws(() => parseFilter("foo.a = 'x'"), /unknown prefix 'foo.'/);
  assert.throws(() => parseFilter("attributes.colour = 'x'"), /unknown attribute 'colour'. Known: run_id/);
  assert.throws(() => parseFilter("params.`x = 'y'"), FilterError);
});

test('order_by sorts with missing values and NaN last, then by start time', () => {
  const order = (o: string[]) => sortRuns(runs, o).map((r) => r.info.runId);
  assert.deepEqual(order(['metrics.`val/accuracy` DESC']), ['a', 'b', 'c']);
  assert.deepEqual(order(['metrics.`val/accuracy` ASC']), ['b', 'a', 'c']);
  assert.deepEqual(order(['metrics.loss']), ['a', 'c', 'b']);
  assert.deepEqual(order(['params.`train.lr` DESC']), ['b', 'a', 'c']); // ties: newer first
  assert.deepEqual(order([]), ['a', 'b', 'c']);
});
