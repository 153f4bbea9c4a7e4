// Run names tell trials apart and name what differs; notes are markdown a reader can scan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../src/experiment/config';
import { expandTrials } from '../../src/experiment/trials';
import { sweepRunName, trialRunName } from '../../src/experiment/run-name';
import { sweepNote, sweepTable, trialNote, type SweepNoteRow } from '../../src/experiment/note';

const resolved = resolveConfig({
  name: 'hep2', dataset: { format: 'icpr2012', root: '/data/hep2', split: { kind: 'stratified-kfold', folds: 2 } },
  model: { backbone: 'small-cnn' }, train: { lr: 0.001 },
  sweep: { 'model.backbone': ['small-cnn', 'resnet18'], 'train.lr': [0.01, 0.0001], 'dataset.augment': [false, { hflip: 0.5 }] },
}, { baseDir: '/', env: {} });

test('trial names: experiment, backbone, lr, other swept values, 4 chars of the configuration, fold', () => {
  const trials = expandTrials(resolved.config, '/');
  const names = trials.map((t) => trialRunName('hep2', t.config, { params: t.params, fold: t.fold, projectRoot: '/' }));
  assert.equal(new Set(names).size, trials.length, 'distinct');
  assert.match(names[0], /^hep2-small-cnn-lr0\.01-augmentfalse-[0-9a-f]{4}-fold0$/);
  assert.match(names[3], /^hep2-small-cnn-lr0\.01-augmenthflip_0\.5-[0-9a-f]{4}-fold1$/);
  assert.match(names[names.length - 1], /^hep2-resnet18-lr0\.0001-augmenthflip_0\.5-[0-9a-f]{4}-fold1$/);
  // The folds of one configuration share its id; a re-run of it has the same name.
  assert.equal(names[0].replace(/-fold0$/, ''), names[1].replace(/-fold1$/, ''));
  assert.equal(trialRunName('hep2', trials[0].config, { params: trials[0].params, fold: 0, projectRoot: '/' }), names[0]);
  assert.ok(names.every((n) => !/\s/.test(n)), 'one token');
});

test('a swept mapping ({backbone, width}) names its values, not its JSON; notes and the comparison table read it the same way', () => {
  const c = resolveConfig({
    name: 'w', dataset: { format: 'folder', root: '/data' }, model: { backbone: 'small-cnn' },
    sweep: { model: [{ backbone: 'resnet18', width: 0.25 }, { backbone: 'resnet18', width: 0.5 }, { backbone: 'small-cnn' }] },
  }, { baseDir: '/', env: {} }).config;
  const trials = expandTrials(c, '/');
  const names = trials.map((t) => trialRunName('w', t.config, { params: t.params, projectRoot: '/' }));
  assert.match(names[0], /^w-resnet18-lr0\.001-width0\.25-[0-9a-f]{4}$/);
  assert.match(names[1], /^w-resnet18-lr0\.001-width0\.5-[0-9a-f]{4}$/);
  assert.match(names[2], /^w-small-cnn-lr0\.001-[0-9a-f]{4}$/);
  const table = sweepTable(trials.map((t, i) => ({ name: names[i], params: t.params, outcome: 'completed', metrics: { accuracy: 0.5 } })), 'test');
  assert.equal(table.split('\n')[0], '| run | backbone | width | test accuracy | outcome |');
  assert.ok(table.includes(`| ${names[0]} | resnet18 | 0.25 | 0.5000 | completed |`));
  const note = trialNote({ experiment: 'w', backbone: 'resnet18', lr: 0.001, params: trials[0].params, split: 'test', epochs: 1, metrics: {}, outcome: 'completed',
    dataset: { format: 'folder', root: '/data', images: 10, classes: ['a', 'b'], split: { train: 6, val: 2, test: 2 }, skipped: 0 } });
  assert.match(note, /^\*\*w\*\* · resnet18 · lr 0\.001 · model\.width 0\.25 — \*\*completed\*\*/);
});

test('sweep names: six hex digits of the configuration and the run suffix; other ids as given', () => {
  assert.equal(sweepRunName('hep2', '0123456789abcdef-m3k9x1ab'), 'hep2-sweep-012345-m3k9x1ab');
  assert.equal(sweepRunName('hep2', '0123456789abcdef'), 'hep2-sweep-012345');
  assert.equal(sweepRunName('hep2', 'nightly'), 'hep2-sweep-nightly');
});

test('trial note: header, dataset and split sizes, metric and per-class tables, how it ended', () => {
  const base = {
    experiment: 'hep2', description: 'Six patterns.', backbone: 'resnet18', lr: 0.001, params: { 'model.backbone': 'resnet18', 'train.batchSize': 16 }, fold: 1,
    dataset: { format: 'icpr2012', root: '/data/hep2', images: 1455, classes: ['a', 'b'], split: { train: 600, val: 100, test: 700 }, skipped: 2, anomalies: 5 },
    split: 'test', epochs: 12,
  };
  const done = trialNote({ ...base, metrics: { accuracy: 0.8123, average_class_accuracy: 0.8, auc: 0.9 }, outcome: 'completed', bestEpoch: 9, selection: 0.83,
    perClass: [{ className: 'a', precision: 0.9, recall: 0.7, f1: 0.7875, support: 300 }, { className: 'b', precision: 0.75, recall: 0.9, f1: 0.818, support: 400 }] });
  assert.match(done, /^\*\*hep2\*\* · resnet18 · lr 0\.001 · train\.batchSize 16 · fold 1 — \*\*completed\*\*\n\nSix patterns\./);
  assert.ok(done.includes('| icpr2012 at /data/hep2 | 1455 | 2 | 600 | 100 | 700 |'));
  assert.ok(done.includes('2 item(s) skipped as bad input; 5 training image(s) dropped by the anomaly filter.'));
  assert.ok(done.includes('| accuracy | 0.8123 |') && done.includes('| average class accuracy (mean per-class recall) | 0.8000 |'));
  assert.ok(done.includes('| a | 0.9000 | 0.7000 | 0.7875 | 300 |'));
  assert.ok(done.includes('evaluated with the weights of epoch 9 (validation accuracy 0.8300)'));
  const diverged = trialNote({ ...base, metrics: {}, outcome: 'diverged', reason: 'the loss became NaN' });
  assert.match(diverged, /Outcome: diverged — the loss became NaN\.$/);
  assert.ok(!diverged.includes('| metric |'));
});

test('sweep table and note: one row per run, the best starred, pipes in values escaped', () => {
  const rows: SweepNoteRow[] = [
    { name: 'h-a', params: { 'train.lr': 0.1 }, outcome: 'diverged', reason: 'a|b', metrics: {} },
    { name: 'h-b', params: { 'train.lr': 0.01 }, outcome: 'completed', selection: 0.8, metrics: { accuracy: 0.75 }, best: true },
  ];
  const t = sweepTable(rows, 'test');
  assert.deepEqual(t.split('\n').slice(0, 2), ['| run | lr | val acc | test accuracy | outcome |', '|---|---|---|---|---|']);
  assert.ok(t.includes('| h-a | 0.1 | – | – | diverged: a\\|b |'));
  assert.ok(t.includes('| ★ h-b | 0.01 | 0.8000 | 0.7500 | completed |'));
  const note = sweepNote({ experiment: 'h', rows, split: 'test', best: 'best: train.lr=0.01', counts: { completed: 1, diverged: 1, error: 0 } });
  assert.match(note, /^\*\*h\*\* sweep — 2 trial\(s\): 1 completed, 1 diverged\n/);
  assert.match(note, /★ best: train\.lr=0\.01\. The best configuration is chosen on validation, never on the test split\.$/);
});
