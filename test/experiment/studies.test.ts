// Every study's experiment file validates and expands to the trials its study needs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadExperimentFile } from '../../src/experiment/config';
import { expandTrials } from '../../src/experiment/trials';
import { searchSpec } from '../../src/experiment/search-space';

const root = path.resolve(__dirname, '..', '..');
const file = (n: string) => path.join(root, 'experiments', `${n}.yaml`);
const trials = (n: string, profile?: string) => expandTrials(loadExperimentFile(file(n), { env: {}, profile }).config, root);

test('hep2-patterns: one trial per backbone, masks and augmentation on, TTA', () => {
  const t = trials('hep2-patterns');
  assert.deepEqual(t.map((x) => x.config.model.backbone), ['convnext-atto', 'coatnet-0', 'resnet18']);
  assert.deepEqual(t.map((x) => x.config.model.width), [0.5, 0.125, 0.25]);
  assert.equal(t[0].config.dataset.image.mask, true);
  assert.equal(t[0].config.train.schedule.kind, 'cosine');
  assert.ok(t[0].config.train.labelSmoothing > 0);
});

test('hep2-intensity: 3 freeze depths + linear head, x 5 specimen-grouped folds', () => {
  const t = trials('hep2-intensity');
  assert.equal(t.length, 4 * 5);
  assert.equal(t[0].config.dataset.split.kind, 'stratified-group-kfold');
  assert.deepEqual([...new Set(t.map((x) => `${x.config.model.head}/${x.config.model.freeze}`))], ['dense/soft', 'dense/medium', 'dense/hard', 'linear/none']);
  assert.deepEqual(t.slice(0, 5).map((x) => x.fold), [0, 1, 2, 3, 4]);
});

test('protein-localisation: multi-label over 4 stains, 2 backbones x LR {0.1 .. 0.0001}, anomaly filter, 1 - n_c/N label weights, per-label thresholds; the activation table as a profile', () => {
  const t = trials('protein-localisation');
  assert.equal(t.length, 8);
  assert.deepEqual([...new Set(t.map((x) => x.config.train.lr))], [0.1, 0.01, 0.001, 0.0001]);
  const c = t[0].config;
  assert.equal(c.dataset.multiLabel, 'multi');
  assert.deepEqual(c.dataset.image.channels, ['green', 'red', 'blue', 'yellow']);
  assert.equal(c.model.head, 'multilabel');
  assert.equal(c.train.loss, 'bce');
  assert.deepEqual(c.dataset.anomalyFilter, { std: 3, method: 'class' });
  assert.equal(c.dataset.classWeights, 'one-minus-frequency');
  assert.equal(c.eval.multiLabel.decision, 'per-label');
  const acts = trials('protein-localisation', 'activations');
  assert.deepEqual(acts.map((x) => x.config.train.headActivation), ['sigmoid', 'relu', 'tanh']);
  assert.deepEqual(acts.map((x) => x.params), [{ 'train.headActivation': 'sigmoid' }, { 'train.headActivation': 'relu' }, { 'train.headActivation': 'tanh' }]);
});

test('lymphocytosis-small: patients as bags, stratified 5-fold over patients, weighted BCE; image vs clinical vs mixture of experts', () => {
  const t = trials('lymphocytosis-small');
  assert.equal(t.length, 3 * 5);
  assert.deepEqual([...new Set(t.map((x) => x.config.model.metadata))], ['none', 'only', 'moe']);
  const c = t[0].config;
  assert.equal(c.dataset.format, 'dlmi');
  assert.equal(c.dataset.bags, 'ID');
  assert.deepEqual(c.dataset.metadata, ['AGE', 'LYMPH_COUNT']);
  assert.equal(c.dataset.split.kind, 'stratified-kfold');
  assert.equal(c.model.head, 'mil');
  assert.equal(c.model.mil.aggregation, 'attention');
  assert.equal(c.train.loss, 'bce');
  assert.equal(c.dataset.classWeights, 'inverse');
  assert.equal(trials('lymphocytosis-small', 'smoke').length, 3 * 2);
});

test('histology-query: one BYOL run (the study\'s projection sizes and EMA rate) with embedding evaluation', () => {
  const t = trials('histology-query');
  assert.equal(t.length, 1);
  const c = t[0].config;
  assert.equal(c.eval.embeddings && c.eval.embeddings.layer, 'features');
  assert.equal(c.eval.embeddings && c.eval.embeddings.referenceThreshold, 0.705);
  assert.equal(c.train.method, 'byol');
  assert.deepEqual([c.train.ssl.projectionDim, c.train.ssl.projectionHiddenDim, c.train.ssl.tau], [512, 2048, 0.99]);
  assert.equal(c.dataset.augment, false, 'the views come from train.ssl.views');
});

test('histology-query --profile simsiam: SimSiam with a 5x predictor rate, 5 warm-up epochs, 60 epochs', () => {
  const c = trials('histology-query', 'simsiam')[0].config;
  assert.equal(c.train.method, 'simsiam');
  assert.deepEqual([c.train.epochs, c.train.batchSize, c.train.lr, c.train.ssl.predictorLrScale], [60, 64, 0.003, 5]);
  assert.deepEqual(c.train.schedule, { ...c.train.schedule, kind: 'cosine', warmupEpochs: 5 });
  assert.equal(trials('histology-query')[0].config.train.ssl.predictorLrScale, 1, 'BYOL\'s file keeps the paper\'s default');
});

test('run-experiment --dry-run --json lists the trials as the conventions say', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'src/cli/run-experiment.ts'), file('protein-localisation'), '--dry-run', '--json', '--profile', 'smoke'], { encoding: 'utf8', cwd: root });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(out.trials.length, 2);
  assert.deepEqual(Object.keys(out.trials[0]).sort(), ['config_hash', 'fold', 'index', 'params']);
  assert.deepEqual(out.trials.map((t: { params: Record<string, unknown> }) => t.params['train.lr']), [0.1, 0.003]);
});

test('protein-localisation --profile search: tpe over backbone, log-LR, weight decay and label smoothing with ASHA', () => {
  const config = loadExperimentFile(file('protein-localisation'), { env: {}, profile: 'search' }).config;
  const spec = searchSpec(config);
  assert.equal(spec.method, 'tpe');
  assert.equal(spec.prune && spec.prune.method, 'asha');
  assert.deepEqual(Object.fromEntries(spec.space.map((p) => [p.key, p.dist.kind])),
    { model: 'choice', 'train.lr': 'loguniform', 'train.weightDecay': 'loguniform', 'train.labelSmoothing': 'uniform' });
  const t = trials('protein-localisation', 'search');
  assert.equal(t.length, 16);
  // Each backbone at its own small width (a {backbone, width} choice).
  for (const x of t.filter((y) => !y.pending)) assert.deepEqual([x.config.model.backbone, x.config.model.width], x.config.model.backbone === 'resnet18' ? ['resnet18', 0.25] : ['small-cnn', 1]);
  assert.equal(t.filter((x) => !x.pending).length, spec.tpe.startup);
});
