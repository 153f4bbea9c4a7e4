// The operating point you see is the one you logged: a run's test metrics, recomputed
// from its predictions.csv at the decision it recorded (the validation-chosen threshold,
// or argmax), equal what it logged, to 1e-9.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fromFile } from '../../src/experiment/experiment';
import { openTracking } from '../../src/tracking/index';
import { parseCsv } from '../../src/data/csv';
import { predictionsFromRows } from '../../src/eval/predictions-csv';
import { evaluateClassification } from '../../src/eval/evaluate';
import { intensityExperiment } from './intensity-experiment';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-logged-'));

// The shared small binary experiment (synthetic intensity cells, 16 px), without a checkpoint.
const experiment = (name: string, threshold: boolean) => intensityExperiment(work, name, {
  train: '{ epochs: 2, batchSize: 16, lr: 0.003, checkpoint: false }',
  eval: `{ split: test${threshold ? ', threshold: balanced_accuracy, positive: positive' : ''} }`,
  tracking: `{ uri: ${path.join(work, 'store')}, experiment: logged }`,
});

async function recompute(runId: string) {
  const tracking = await openTracking({ uri: path.join(work, 'store'), log: () => undefined });
  const run = await tracking.getRun(runId);
  const csv = (await tracking.downloadArtifact(runId, 'predictions.csv')).toString('utf8');
  await tracking.close();
  const p = predictionsFromRows(parseCsv(csv, 'predictions.csv'));
  const threshold = run.metrics['test/threshold'];
  const positive = run.tags['cellab.threshold_positive'] !== undefined ? p.classNames.indexOf(run.tags['cellab.threshold_positive']) : undefined;
  const e = evaluateClassification({ labels: p.labels, scores: p.scores, classNames: p.classNames, positive, threshold });
  return { run, e };
}

for (const threshold of [true, false]) {
  test(`logged test metrics equal those recomputed from predictions.csv (${threshold ? 'threshold chosen on validation' : 'argmax'})`, { timeout: 120_000 }, async () => {
    const exp = fromFile(experiment(threshold ? 'thresholded' : 'argmax', threshold));
    const result = await exp.run({ progress: 'off' });
    const runId = result.summary.run_id;
    const { run, e } = await recompute(runId);
    assert.equal(run.tags['cellab.outcome'], 'completed');
    if (threshold) {
      assert.ok(Number.isFinite(run.metrics['test/threshold']), 'the chosen threshold is logged');
      assert.match(run.tags['cellab.decision'], /^positive when its score >= .* on validation/);
    } else {
      assert.ok(!('test/threshold' in run.metrics));
    }
    const names = ['accuracy', 'average_class_accuracy', 'balanced_accuracy', 'macro_f1', 'micro_f1', 'weighted_f1', 'sensitivity', 'specificity', 'auc', 'log_loss'];
    for (const k of names) {
      if (!(k in e.metrics)) continue;
      const logged = run.metrics[`test/${k}`];
      assert.ok(Math.abs(logged - e.metrics[k]) <= 1e-9, `test/${k}: logged ${logged}, recomputed ${e.metrics[k]}`);
    }
    // The notebook's view of the run uses the same decision.
    const view = result.best();
    assert.deepEqual((await view.evaluation()).confusionMatrix, e.confusionMatrix);
    assert.equal(await view.decision(), threshold ? `positive when its score >= ${run.metrics['test/threshold'].toFixed(4)} (chosen on validation)` : 'argmax');
  });
}
