// cellab report of a search (random/tpe, pruning): the parent's search plot is a chart
// of the report, a pruned trial's curve is drawn (it says when it stopped), and the
// table names the swept {backbone, width} values. The runs are written straight into a
// local store (no training), so this stays a unit test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openTracking } from '../../src/tracking/index';
import { buildReport } from '../../src/experiment/report';
import { SWEEP_ID_TAG, SWEEP_ROLE_TAG } from '../../src/experiment/parent';
import { searchSpec } from '../../src/plots/search';

test('the report of a search shows its search plot, the pruned trial\'s curve, and the swept width', async () => {
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-report-'));
  const tracking = await openTracking({ uri: store, log: () => undefined });
  try {
    const experimentId = await tracking.getOrCreateExperiment('search');
    const parent = await tracking.startRun({ experimentId, runName: 'search-sweep-abcdef', tags: { [SWEEP_ID_TAG]: 's1', [SWEEP_ROLE_TAG]: 'parent' } });
    parent.logParams({ 'sweep.method': 'tpe', 'sweep.model': JSON.stringify([{ backbone: 'resnet18', width: 0.25 }, { backbone: 'resnet18', width: 0.5 }]) });
    const trials = [
      { name: 'search-resnet18-lr0.001-width0.25-aaaa', width: 0.25, outcome: 'completed', epochs: 4, val: 0.8 },
      { name: 'search-resnet18-lr0.001-width0.5-bbbb', width: 0.5, outcome: 'pruned', epochs: 1, val: 0.4 },
    ];
    const ids: string[] = [];
    for (const [i, t] of trials.entries()) {
      const run = await tracking.startRun({ experimentId, runName: t.name, parentRunId: parent.runId,
        tags: { [SWEEP_ID_TAG]: 's1', 'cellab.trial_index': String(i), 'cellab.outcome': t.outcome } });
      run.logParams({ 'model.backbone': 'resnet18', 'model.width': t.width, 'train.lr': 0.001, 'eval.split': 'test' });
      for (let e = 1; e <= t.epochs; e++) run.logMetrics({ 'val/accuracy': t.val * e / t.epochs, 'val/loss': 1 / e, 'train/loss': 1.2 / e }, e);
      run.logMetric('val/best_accuracy', t.val, t.epochs);
      if (t.outcome === 'completed') run.logMetrics({ 'test/accuracy': 0.75, 'test/average_class_accuracy': 0.7 }, t.epochs);
      await run.end(t.outcome === 'completed' ? 'FINISHED' : 'KILLED');
      ids.push(run.runId);
    }
    const plot = searchSpec(trials.map((t, i) => ({ trial: i, params: { 'model.width': t.width }, value: t.val, outcome: t.outcome })), { title: 'Search (tpe + asha pruning)' });
    await parent.logArtifact('plots/search.vl.json', JSON.stringify(plot));
    parent.setTag('cellab.best_run_ids', ids[0]);
    await parent.end('FINISHED');

    const r = await buildReport(tracking, { id: experimentId, name: 'search' }, { now: new Date(0) });
    assert.equal(r.runs.length, 2);
    assert.deepEqual(r.bestRunIds, [ids[0]]);
    assert.ok(r.html.includes('<h2>Search</h2>') || r.html.includes('>Search<'), 'a Search section');
    assert.ok(r.html.includes('Search (tpe + asha pruning)'), 'the parent\'s search plot is drawn in the report');
    assert.ok(r.html.includes('Per epoch, 2 run(s)'), 'the pruned trial\'s curve is drawn too');
    for (const t of trials) assert.ok(r.html.includes(t.name), t.name);
    assert.ok(r.html.includes('>width<'), 'the table has the swept width');
    assert.equal(r.charts, 3, 'curves, the sweep by width, the search plot (no run logged a confusion matrix)');
    assert.ok(r.html.includes('test/average_class_accuracy across the sweep'), 'the sweep chart plots the swept width, not the search settings');
  } finally {
    await tracking.close();
    fs.rmSync(store, { recursive: true, force: true });
  }
});
