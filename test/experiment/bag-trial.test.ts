// A patient-level study end to end on a small synthetic DLMI set: k folds over
// patients (none on both sides), one prediction per patient, the gate and the
// attention weights logged and readable from a notebook; bad combinations of
// keys are config errors before anything runs.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initEngine } from '../../src/engine/backend';
import { ConfigError } from '../../src/engine/schema';
import { generateLymphocytosis } from '../../src/data/synth/index';
import { fromFile } from '../../src/experiment/experiment';
import { bagResults } from '../../src/experiment/bag-results';
import { loadTrialData, prepareData } from '../../src/experiment/trial';
import { openTracking } from '../../src/tracking/index';
import { parseCsv } from '../../src/data/csv';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-bags-'));
const data = path.join(work, 'dlmi');
const file = path.join(work, 'lymph.yaml');
const store = path.join(work, 'store');
const N = 30;

before(async () => {
  await initEngine({ backend: 'wasm', log: null });
  await generateLymphocytosis({ out: data, n: N, testPatients: 2, seed: 3 });
  fs.writeFileSync(file, `
name: bags-test
dataset:
  format: dlmi
  root: ${data}
  bags: ID
  metadata: [AGE, LYMPH_COUNT, { column: GENDER, type: categorical }]
  image: { size: 16, channels: rgb }
  split: { kind: stratified-kfold, folds: 3, valFraction: 0.25, seed: 1 }
  classWeights: inverse
  cache: { dir: ${path.join(work, 'cache')} }
model:
  backbone: small-cnn
  width: 0.5
  head: mil
  metadata: moe
  mil: { hidden: 8, attentionDim: 8, metadataHidden: 4, auxiliary: { column: LYMPH_COUNT, weight: 0.5 } }
train: { epochs: 3, batchSize: 4, lr: 0.003, loss: bce }
eval: { positive: malignant }
tracking: { experiment: bags-test }
`);
});

const load = (set: Record<string, unknown> = {}) => fromFile(file, { set, env: {} });

test('no patient is on both sides of any fold, and each is tested exactly once', async () => {
  const tested = new Map<string, number>();
  for (let fold = 0; fold < 3; fold++) {
    const { split } = await prepareData(load().config, fold, () => undefined);
    const patients = (items: { group?: string }[]) => new Set(items.map((i) => i.group!));
    const [tr, va, te] = [patients(split.train), patients(split.val), patients(split.test)];
    for (const [a, b, what] of [[tr, te, 'train/test'], [tr, va, 'train/val'], [va, te, 'val/test']] as const) {
      assert.deepEqual([...a].filter((p) => b.has(p)), [], `fold ${fold}: ${what} share patients`);
    }
    for (const p of te) tested.set(p, (tested.get(p) ?? 0) + 1);
  }
  assert.equal(tested.size, N);
  assert.ok([...tested.values()].every((n) => n === 1));
});

test('the trial data: bags of the decoded split, metadata and class weights fitted on training patients', async () => {
  const d = await loadTrialData(load().config, { fold: 0, progress: 'off', log: () => undefined });
  try {
    const bags = d.bags!;
    assert.deepEqual(bags.classes, ['malignant', 'reactive']);
    assert.equal(bags.positive, 0);
    assert.equal(bags.split.train.length + bags.split.val.length + bags.split.test.length, N);
    assert.deepEqual(bags.metadata.names, ['AGE', 'LYMPH_COUNT', 'GENDER=F', 'GENDER=M']);
    const ages = bags.split.train.map((b) => Number(b.values.AGE));
    assert.ok(Math.abs(bags.metadata.columns[0].mean! - ages.reduce((s, v) => s + v, 0) / ages.length) < 1e-9, 'standardised on training patients');
    // Inverse class weights count patients: the reactive minority weighs more.
    const [wNeg, wPos] = bags.classWeights;
    assert.ok(wNeg > wPos, `weights negative ${wNeg}, positive ${wPos}`);
  } finally {
    d.close();
  }
});

test('a k-fold mixture-of-experts run logs one prediction per patient, the gate, attention per image; notebooks read them back', async () => {
  const result = await load().run({ trackingUri: store, progress: 'off' });
  assert.equal(result.rows.length, 3);
  assert.ok(result.rows.every((r) => r.outcome === 'completed'), result.rows.map((r) => r.reason).join('; '));
  const tracking = await openTracking({ uri: store, log: () => undefined });
  const seen = new Set<string>();
  for (const row of result.rows) {
    const run = await tracking.getRun(row.runId!);
    for (const k of ['test/balanced_accuracy', 'test/mean_gate', 'val/best_loss', 'train/best_epoch']) assert.ok(Number.isFinite(run.metrics[k]), `${k} logged`);
    const table = async (f: string) => parseCsv((await tracking.downloadArtifact(row.runId!, f)).toString('utf8'), f).rows.map((r) => r.values);
    const preds = await table('predictions.csv');
    const patients = await table('patients.csv');
    assert.deepEqual(Object.keys(preds[0]), ['id', 'path', 'label', 'malignant', 'reactive']);
    assert.deepEqual(patients.map((p) => p.bag), preds.map((p) => p.id));
    for (const p of patients) {
      assert.ok(!seen.has(p.bag), `patient ${p.bag} tested twice`);
      seen.add(p.bag);
      const pi = Number(p.pi), y = Number(p.score);
      assert.ok(pi > 0 && pi < 1);
      assert.ok(Math.abs(y - (pi * Number(p.image_score) + (1 - pi) * Number(p.metadata_score))) < 1e-4, 'score = pi * image + (1 - pi) * metadata');
      assert.equal(p.prediction, y >= 0.5 ? 'malignant' : 'reactive');
    }
    const attention = await table('attention.csv');
    for (const p of patients) {
      const w = attention.filter((a) => a.bag === p.bag);
      assert.equal(w.length, Number(p.images));
      assert.ok(Math.abs(w.reduce((s, a) => s + Number(a.weight), 0) - 1) < 1e-4);
      assert.ok(fs.existsSync(w[0].path));
    }
    const head = JSON.parse((await tracking.downloadArtifact(row.runId!, 'mil_head.json')).toString('utf8'));
    assert.equal(head.positive, 'malignant');
    assert.equal(head.featureMean.length, head.options.featureDim);
    assert.match((await tracking.downloadArtifact(row.runId!, 'plots/gate.svg')).toString('utf8'), /Gate weight per patient/);
    // MLflow previews images: each plot as a PNG too.
    for (const p of ['gate', 'confusion_matrix', 'roc', 'training_curves']) {
      assert.deepEqual([...(await tracking.downloadArtifact(row.runId!, `plots/${p}.png`)).subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG', `plots/${p}.png`);
    }
  }
  // Per-image error galleries do not apply to per-patient predictions: the best run says so, nothing fails.
  const best = await tracking.getRun(result.best().runIds[0]);
  assert.match(best.tags['cellab.error_analysis_skipped'] ?? '', /patient-level run \(dataset\.bags\)/);
  await assert.rejects(result.best().errors.topLosses(), /is patient-level \(dataset\.bags\).*bagResults/);
  assert.equal(seen.size, N);
  await tracking.close();

  const moe = bagResults(result.best());
  assert.equal((await moe.patients()).length, N);
  const gate = await moe.plots.gate();
  assert.equal((gate.data as { values: unknown[] }).values.length, N);
  const gallery = await moe.plots.topAttended(undefined, { k: 4 });
  const images = (gallery.data as { values: { url: string; weight: number }[] }).values;
  assert.equal(images.length, 4);
  assert.ok(images.every((v) => v.url.startsWith('data:image/png;base64,')));
  assert.ok(images.every((v, i) => i === 0 || v.weight <= images[i - 1].weight), 'largest weight first');
  await assert.rejects(moe.plots.topAttended('P999'), /patient 'P999' is not among the evaluated patients of these runs\. Patients: P/);
  assert.throws(() => bagResults(result, { 'model.metadata': 'only' }), /no completed trial has \{"model.metadata":"only"\}/);
});

test('bad combinations are config errors that say what to set', async () => {
  const fails = async (set: Record<string, unknown>, message: RegExp) => {
    await assert.rejects(loadTrialData(load(set).config, { progress: 'off', log: () => undefined }), (e: Error) => e instanceof ConfigError && message.test(e.message));
  };
  await fails({ 'dataset.bags': false }, /model\.head mil learns from bags of images: set dataset\.bags/);
  await fails({ 'model.head': 'dense' }, /dataset\.bags is set but model\.head is dense/);
  await fails({ 'dataset.metadata': [] }, /model\.metadata moe needs clinical columns: set dataset\.metadata/);
  await fails({ 'train.loss': 'cross-entropy' }, /set train\.loss: bce/);
  await fails({ 'model.mil.aggregation': 'sum' }, /model\.mil\.aggregation 'sum' is not registered/);
  await fails({ 'dataset.augment': { hflip: 0.5 } }, /dataset\.augment has no effect with model\.head mil/);
  await fails({ 'train.tta': 'flips' }, /train\.tta flips has no effect with model\.head mil/);
});
