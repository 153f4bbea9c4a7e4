// Runs read well in MLflow: against the loopback MLflow server, a 4-trial sweep gives
// distinct run names that name their parameters, markdown notes, PNG plots beside the SVGs,
// system metrics, the parent's comparison table and curves, the best run's error-analysis
// galleries, and tracking.registerModel makes one model version pointing at the best run's
// checkpoint. The notebook face (result.best().plots.topLosses() ...) agrees with the
// logged predictions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fromFile, type ExperimentResult } from '../../src/experiment/experiment';
import { openTracking } from '../../src/tracking/index';
import { parseCsv } from '../../src/data/csv';
import { predictionsFromRows } from '../../src/eval/predictions-csv';
import { itemLoss } from '../../src/eval/errors';
import { argmax } from '../../src/eval/evaluate';
import { MlflowTestServer } from '../tracking/mlflow-server';
import { buildReport } from '../../src/experiment/report';
import { intensityExperiment } from './intensity-experiment';

const server = new MlflowTestServer();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-readable-'));
let result: ExperimentResult;

before(async () => {
  await server.start();
  const file = intensityExperiment(work, 'readable', {
    description: 'Positive vs negative cells, to read in MLflow.',
    sweep: '{ train.lr: [0.003, 0.005], train.batchSize: [8, 16] }',
    tracking: '{ experiment: readable, registerModel: readable-best, systemMetrics: { interval: 0.2 }, errorAnalysis: { topLosses: 6, gradCam: 2, perClass: 4 } }',
  });
  result = await fromFile(file).run({ trackingUri: server.url, progress: 'off' });
});
after(() => server.stop());

const runsByName = () => new Map(server.allRuns().map((r) => [r.info.run_name, r]));

test('every run name of the 4-trial sweep is distinct and names its parameters; the parent names the sweep', () => {
  const summary = result.summary as { run_id: string; trials: { total: number } };
  assert.equal(summary.trials.total, 4);
  const children = server.allRuns().filter((r) => r.tags.get('mlflow.parentRunId') === summary.run_id);
  assert.equal(children.length, 4);
  const names = children.map((r) => r.info.run_name);
  assert.equal(new Set(names).size, 4, `distinct: ${names.join(', ')}`);
  for (const r of children) {
    const lr = r.params.get('train.lr'), bs = r.params.get('train.batchSize');
    assert.match(r.info.run_name, new RegExp(`^readable-small-cnn-lr${lr!.replace('.', '\\.')}-batchSize${bs}-[0-9a-f]{4}$`));
  }
  const parent = server.allRuns().find((r) => r.info.run_id === summary.run_id)!;
  assert.match(parent.info.run_name, /^readable-sweep-[0-9a-f]{6}-[0-9a-z]+$/);
});

test('notes: each trial says its dataset, split sizes, metrics and outcome; the parent holds the comparison table', () => {
  const summary = result.summary as { run_id: string };
  for (const r of server.allRuns().filter((x) => x.tags.get('mlflow.parentRunId') === summary.run_id)) {
    const note = r.tags.get('mlflow.note.content')!;
    assert.match(note, /^\*\*readable\*\* · small-cnn · lr 0\.00\d · train\.batchSize (8|16) — \*\*(completed|diverged)\*\*/);
    assert.match(note, /Positive vs negative cells, to read in MLflow\./);
    assert.match(note, /\| csv at .* \| 80 \| 2 \| \d+ \| \d+ \| \d+ \|/);
    if (r.tags.get('cellab.outcome') === 'completed') {
      assert.match(note, /\| accuracy \| 0\.\d{4} \|/);
      assert.match(note, /\| positive \| /, 'per-class table');
    } else assert.match(note, /Outcome: diverged — /);
  }
  const parent = server.allRuns().find((r) => r.info.run_id === summary.run_id)!;
  const note = parent.tags.get('mlflow.note.content')!;
  for (const name of [...runsByName().keys()].filter((n) => !n.includes('-sweep-'))) assert.ok(note.includes(name), `the parent's table lists ${name}`);
  assert.match(note, /★ /, 'the best run is starred');
  const md = server.artifact(`${parent.info.experiment_id}/${parent.info.run_id}/artifacts/sweep/comparison.md`)!.toString();
  assert.match(md, /^\| run \| lr \| batchSize \| val acc \|/);
  for (const f of ['plots/sweep.png', 'plots/curves_by_trial.png', 'plots/curves_by_trial.svg']) {
    const b = server.artifact(`${parent.info.experiment_id}/${parent.info.run_id}/artifacts/${f}`);
    assert.ok(b && b.length > 1000, `parent ${f}`);
  }
});

test('PNG beside every SVG plot; system metrics per interval while training', () => {
  const summary = result.summary as { run_id: string };
  for (const r of server.allRuns().filter((x) => x.tags.get('mlflow.parentRunId') === summary.run_id)) {
    const base = `${r.info.experiment_id}/${r.info.run_id}/artifacts/plots/`;
    const plots = ['training_curves', ...(r.tags.get('cellab.outcome') === 'completed' ? ['confusion_matrix', 'roc'] : [])];
    for (const p of plots) {
      assert.ok(server.artifact(`${base}${p}.svg`), `${p}.svg`);
      assert.equal(server.artifact(`${base}${p}.png`)?.subarray(1, 4).toString(), 'PNG', `${p}.png`);
    }
    const cpu = server.history(r.info.run_id).filter((m) => m.key === 'system/cpu_utilization_percentage');
    assert.ok(cpu.length >= 1, `system metrics logged for ${r.info.run_name}`);
    assert.deepEqual(cpu.map((m) => m.step), cpu.map((_, i) => i));
    assert.ok(server.history(r.info.run_id).some((m) => m.key === 'system/system_memory_usage_megabytes' && Number(m.value) > 1));
  }
});

test('the best run: its galleries are logged, and registerModel made one version pointing at its checkpoint', () => {
  const s = result.summary as { best: { run_id: string } | null };
  assert.ok(s.best, 'a configuration completed');
  const best = server.allRuns().find((r) => r.info.run_id === s.best!.run_id)!;
  const base = `${best.info.experiment_id}/${best.info.run_id}/artifacts/`;
  for (const f of ['plots/top_losses.png', 'plots/most_confused.png', 'plots/gradcam.png', 'plots/samples_per_class.png']) assert.equal(server.artifact(base + f)?.subarray(1, 4).toString(), 'PNG', f);
  assert.ok(server.allRuns().every((r) => !server.artifact(`${r.info.experiment_id}/${r.info.run_id}/artifacts/plots/top_losses.png`) || r === best), 'only the best run');
  assert.equal(best.tags.get('cellab.error_analysis_skipped'), undefined);
  const models = server.registeredModels();
  assert.deepEqual(models.map((m) => m.name), ['readable-best']);
  assert.equal(models[0].versions.length, 1);
  const v = models[0].versions[0] as { version: string; source: string; run_id: string; tags: { key: string; value: string }[] };
  assert.deepEqual({ version: v.version, source: v.source, run_id: v.run_id }, { version: '1', source: `${best.info.artifact_uri}/checkpoint`, run_id: best.info.run_id });
  assert.ok(server.artifact(`${base}checkpoint/model.json`), 'the source holds the checkpoint');
  const tags = Object.fromEntries(v.tags.map((t) => [t.key, t.value]));
  assert.equal(Number(tags['test/accuracy']), Number(best.latest.get('test/accuracy')!.value));
  assert.equal(best.tags.get('cellab.registered_model'), 'readable-best/1');
});

test('notebook: best().plots.topLosses / mostConfused / misclassified / gradCam agree with the logged predictions', async () => {
  const best = result.best();
  const t = await openTracking({ uri: server.url, log: () => undefined });
  const p = predictionsFromRows(parseCsv((await t.downloadArtifact(best.runId, 'predictions.csv')).toString('utf8'), 'p'));
  await t.close();
  const losses = p.labels.map((l, i) => ({ id: p.ids[i], loss: itemLoss(p.scores[i], l) })).sort((a, b) => b.loss - a.loss);
  const g = await best.plots.topLosses({ n: 4 });
  assert.deepEqual(g.rows.flatMap((r) => r.tiles.map((x) => x.id)), losses.slice(0, 4).map((x) => x.id));
  const wrong = p.labels.map((l, i) => (argmax(p.scores[i]) !== l ? 1 : 0) as number).reduce((a, b) => a + b, 0);
  const confused = await best.plots.mostConfused();
  const counted = confused.rows.reduce((n, r) => n + Number(/: (\d+)$/.exec(r.label!)![1]), 0);
  assert.equal(counted, wrong, 'the pairs count every misclassified item');
  const mis = await best.plots.misclassified();
  assert.deepEqual(mis.rows.map((r) => r.label!.replace(/ \(.*$/, '')), p.classNames);
  const cam = await best.plots.gradCam({ ids: [losses[0].id] });
  assert.equal(cam.rows[0].tiles[0].id, losses[0].id);
  assert.ok(cam.rows[0].tiles.length >= 2, 'the image and at least the predicted class map');
  await assert.rejects(best.plots.gradCam({ ids: ['no-such-item'] }), /item 'no-such-item' is not among the evaluated items/);
});

test('cellab report reads a server too: the sweep by default, or the chosen runs', async () => {
  const t = await openTracking({ uri: server.url, log: () => undefined });
  try {
    const summary = result.summary as { run_id: string; experiment_id: string; best: { run_id: string } | null };
    const r = await buildReport(t, { id: summary.experiment_id, name: 'readable' }, { now: new Date(0) });
    assert.equal(r.parent?.info.runId, summary.run_id);
    assert.equal(r.runs.length, 4);
    assert.deepEqual(r.bestRunIds, [summary.best!.run_id]);
    assert.ok(r.images >= 4, `the best run's galleries (${r.images})`);
    assert.ok(r.charts >= 3, `curves, sweep, confusion matrices (${r.charts})`);
    for (const name of r.runs.map((x) => x.info.runName)) assert.ok(r.html.includes(name), name);
    assert.ok(r.html.includes('generated 1970-01-01 00:00 UTC'));
    const two = await buildReport(t, { id: summary.experiment_id, name: 'readable' }, { runIds: r.runs.slice(0, 2).map((x) => x.info.runId) });
    assert.equal(two.runs.length, 2);
    assert.equal(two.parent, undefined);
    await assert.rejects(buildReport(t, { id: summary.experiment_id, name: 'readable' }, { runIds: ['f'.repeat(32)] }), /--runs f{32}: .*not found/);
  } finally {
    await t.close();
  }
});
