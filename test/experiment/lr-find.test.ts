// exp.lrFind(): the LR range test on the experiment's data and model, logged as its own
// run (loss per step, suggestions as metrics and note, the plot as PNG/SVG, the points as CSV).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fromFile } from '../../src/experiment/experiment';
import { openTracking } from '../../src/tracking/index';
import { parseCsv } from '../../src/data/csv';
import { lrFindExperiment } from './intensity-experiment';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-lrfind-'));

test('exp.lrFind() logs a run with the loss per step, the suggestions and the plot', async () => {
  const r = await fromFile(lrFindExperiment(work)).lrFind({ steps: 40, startLr: 1e-4, endLr: 1e3, progress: 'off' });
  assert.ok(r.points.length > 5 && r.points.length <= 40);
  assert.ok(r.suggestions.steepest! > 1e-4 && r.suggestions['minimum/10']! > 1e-5);
  assert.equal(r.spec.title && typeof r.spec.title === 'object' ? (r.spec.title as { text: string }).text : r.spec.title, 'lrfind: learning-rate range test (small-cnn)');
  const t = await openTracking({ uri: path.join(work, 'store'), log: () => undefined });
  try {
    const run = await t.getRun(r.run_id);
    assert.equal(run.info.status, 'FINISHED');
    assert.equal(run.tags['cellab.kind'], 'lr-find');
    assert.equal(run.tags['cellab.config_hash'], undefined, 'not a trial: --resume never counts it');
    assert.match(run.tags['cellab.lr_find_of'], /^[0-9a-f]{16}$/);
    assert.match(run.info.runName, /^lrfind-lr-find-small-cnn-[0-9a-f]{4}$/);
    assert.equal(run.params['lr_find.steps'], '40');
    assert.equal(run.params['train.lr'], '0.001', "a sweep's first configuration");
    const finite = r.points.filter((p) => Number.isFinite(p.loss));
    const loss = await t.getMetricHistory(r.run_id, 'lr_find/loss');
    assert.deepEqual(loss.map((m) => m.step), finite.map((p) => p.step));
    assert.equal(run.metrics['lr_find/suggested_steepest'], r.suggestions.steepest);
    assert.equal(run.metrics['lr_find/suggested_minimum_div10'], r.suggestions['minimum/10']);
    assert.match(run.tags['mlflow.note.content'], /\| steepest descent of the smoothed loss \| \d/);
    const files = (await t.listArtifacts(r.run_id, 'plots')).map((a) => a.path);
    assert.deepEqual(files.sort(), ['plots/lr_find.png', 'plots/lr_find.svg', 'plots/lr_find.vl.json']);
    const csv = parseCsv((await t.downloadArtifact(r.run_id, 'lr_find.csv')).toString('utf8'), 'lr_find.csv');
    assert.deepEqual(csv.header, ['step', 'lr', 'loss', 'smoothed_loss']);
    assert.equal(csv.rows.length, r.points.length);
  } finally {
    await t.close();
  }
});
