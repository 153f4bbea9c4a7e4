import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runsDataFrame, runsTable } from '../../src/tracking/dataframe';
import { openTracking } from '../../src/tracking/tracking';

test('runs become a danfojs DataFrame: one row per run, params and latest metrics as columns', async () => {
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-df-'));
  const t = await openTracking({ uri: store, log: () => undefined });
  const exp = await t.getOrCreateExperiment('table');
  for (const [name, lr, acc] of [['a', 0.01, 0.7], ['b', 0.001, 0.9]] as const) {
    const r = await t.startRun({ experimentId: exp, runName: name });
    r.logParams({ train: { lr } });
    r.logMetric('val/accuracy', acc / 2, 0);
    r.logMetric('val/accuracy', acc, 1);
    if (name === 'b') r.logMetric('test/auc', 0.95, 1);
    await r.end();
  }
  const runs = await t.searchRuns({ experimentIds: [exp], orderBy: ['metrics.`val/accuracy` DESC'] });
  const df = runsDataFrame(runs, { tags: ['mlflow.runName'] });
  assert.deepEqual(df.columns, ['run_id', 'experiment_id', 'run_name', 'status', 'start_time', 'end_time', 'params.train.lr', 'metrics.test/auc', 'metrics.val/accuracy', 'tags.mlflow.runName']);
  assert.deepEqual(df.shape, [2, 10]);
  assert.deepEqual(df.column('run_name').values, ['b', 'a']);
  assert.deepEqual(df.column('metrics.val/accuracy').values, [0.9, 0.7]);
  assert.deepEqual(df.column('params.train.lr').values, ['0.001', '0.01']);
  const auc = df.column('metrics.test/auc').values as number[];
  assert.equal(auc[0], 0.95);
  assert.ok(Number.isNaN(auc[1]), 'a metric a run did not log is NaN');
  assert.equal(runsTable(runs, { tags: false }).every((row) => !Object.keys(row).some((k) => k.startsWith('tags.'))), true);
  assert.deepEqual(runsDataFrame([]).columns, ['run_id', 'experiment_id', 'run_name', 'status', 'start_time', 'end_time']);
});
