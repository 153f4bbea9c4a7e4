// TrialView (a run read back from tracking, as `best()` returns it): its plots
// say why they cannot be drawn instead of drawing something empty.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openTracking } from '../../src/tracking/tracking';
import { TrialView } from '../../src/experiment/experiment';
import type { TrialRow } from '../../src/experiment/sweep';

async function storeWithRun(): Promise<{ uri: string; runId: string; runDir: string }> {
  const uri = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-view-'));
  const t = await openTracking({ uri, log: () => undefined });
  const exp = await t.getOrCreateExperiment('view');
  const run = await t.startRun({ experimentId: exp, runName: 'trial-0' });
  for (let epoch = 0; epoch < 3; epoch++) run.logMetrics({ 'train/loss': 1 / (epoch + 1), 'val/loss': 2 / (epoch + 1) }, epoch);
  await run.end();
  await t.close();
  return { uri, runId: run.runId, runDir: path.join(uri, exp, run.runId) };
}

const view = (uri: string, runId: string) => new TrialView(uri, { trial: 0, label: 'trial-0', params: {}, outcome: 'completed', runId, metrics: {} } as TrialRow);

test('training curves come from the logged history; a history that cannot be read is an error naming the metric and run', async () => {
  const { uri, runId, runDir } = await storeWithRun();
  const spec = await view(uri, runId).plots.trainingCurves();
  const values = JSON.stringify(spec);
  assert.match(values, /"epoch":2/);
  // The store breaks (val/loss unreadable): not a plot without its validation curve.
  fs.rmSync(path.join(runDir, 'metrics', 'val', 'loss'));
  fs.mkdirSync(path.join(runDir, 'metrics', 'val', 'loss'));
  await assert.rejects(view(uri, runId).plots.trainingCurves(), new RegExp(`cannot read the history of val/loss for run ${runId} from .*EISDIR`));
});

test('PCA: a run without the plot says to set eval.embeddings; a store that cannot be read says that instead', async () => {
  const { uri, runId } = await storeWithRun();
  await assert.rejects(view(uri, runId).plots.pca(), /has no PCA plot \(plots\/pca\.vl\.json\): set eval\.embeddings/);
  await assert.rejects(view(uri, 'f'.repeat(32)).plots.pca(), (err: Error) => {
    assert.doesNotMatch(err.message, /has no PCA plot/);
    assert.match(err.message, /cannot list the plots of run f{32} in .*not found/);
    return true;
  });
});

test('a configuration pooled over folds is titled by its params, a swept mapping by its keys (not [object Object])', async () => {
  const uri = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-view-'));
  const t = await openTracking({ uri, log: () => undefined });
  const exp = await t.getOrCreateExperiment('view');
  const rows: TrialRow[] = [];
  for (const fold of [0, 1]) {
    const run = await t.startRun({ experimentId: exp, runName: `fold${fold}` });
    await run.logArtifact('predictions.csv', 'id,path,label,neg,pos\na,a.png,neg,0.8,0.2\nb,b.png,pos,0.3,0.7\n');
    await run.end();
    rows.push({ trial: fold, label: `freeze=none head=linear fold=${fold}`, params: { model: { freeze: 'none', head: 'linear' } }, fold, outcome: 'completed', runId: run.runId, metrics: {} });
  }
  await t.close();
  const spec = await new TrialView(uri, rows).plots.confusionMatrix();
  assert.match(JSON.stringify(spec.title), /freeze=none head=linear, 2 folds pooled/);
});
