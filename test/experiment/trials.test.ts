import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../src/experiment/config';
import { expandTrials, shardTrials, isSweep, trialLabel } from '../../src/experiment/trials';
import { parseShard } from '../../src/experiment/sweep';

const base = (extra: Record<string, unknown>) => resolveConfig({ name: 't', dataset: { root: '/data' }, ...extra }, { baseDir: '/x', env: {} }).config;

test('trials are the cross product of the sweep lists times the folds, last key fastest', () => {
  const c = base({ sweep: { 'model.backbone': ['small-cnn', 'resnet18'], 'train.lr': [0.1, 0.01] }, dataset: { root: '/data', split: { kind: 'stratified-kfold', folds: 3 } } });
  const trials = expandTrials(c);
  assert.equal(trials.length, 2 * 2 * 3);
  assert.deepEqual(trials.slice(0, 4).map((t) => [t.params['model.backbone'], t.params['train.lr'], t.fold]),
    [['small-cnn', 0.1, 0], ['small-cnn', 0.1, 1], ['small-cnn', 0.1, 2], ['small-cnn', 0.01, 0]]);
  assert.equal(trials[5].config.train.lr, 0.01);
  assert.equal(trials[11].config.model.backbone, 'resnet18');
  assert.deepEqual(trials[11].config.sweep, {});
  assert.equal(new Set(trials.map((t) => t.configHash)).size, trials.length, 'every trial has its own hash');
  assert.equal(trialLabel(trials[4]), 'backbone=small-cnn lr=0.01 fold=1');
  assert.ok(isSweep(c));
  assert.ok(!isSweep(base({})));
});

test('a mapping in a sweep list varies several keys of a section together', () => {
  const c = base({ model: { backbone: 'resnet18', freeze: 'none' }, sweep: { model: [{ freeze: 'soft' }, { freeze: 'hard' }, { head: 'linear' }] } });
  const t = expandTrials(c);
  assert.deepEqual(t.map((x) => [x.config.model.backbone, x.config.model.freeze, x.config.model.head]),
    [['resnet18', 'soft', 'dense'], ['resnet18', 'hard', 'dense'], ['resnet18', 'none', 'linear']]);
  assert.deepEqual(t.map(trialLabel), ['freeze=soft', 'freeze=hard', 'head=linear']);
  assert.throws(() => base({ sweep: { model: [{ freez: 'soft' }] } }), /unknown key `sweep.model\[0\].freez`. Did you mean `freeze`\?/);
});

test('shards take every n-th trial and together cover the sweep once', () => {
  const c = base({ sweep: { 'train.lr': [1, 2, 3, 4, 5] } });
  const all = expandTrials(c);
  const parts = [0, 1, 2].map((i) => shardTrials(all, { index: i, count: 3 }).map((t) => t.index));
  assert.deepEqual(parts, [[0, 3], [1, 4], [2]]);
  assert.deepEqual(parseShard('1/4'), { index: 1, count: 4 });
  assert.throws(() => parseShard('4/4'), /out of range/);
  assert.throws(() => parseShard('x'), /expected i\/n/);
  assert.deepEqual(parseShard('auto', { SLURM_ARRAY_TASK_ID: '5', SLURM_ARRAY_TASK_COUNT: '4', SLURM_ARRAY_TASK_MIN: '3' }), { index: 2, count: 4 });
  assert.deepEqual(parseShard('auto', { JOB_COMPLETION_INDEX: '1', CELLAB_SHARD_COUNT: '2' }), { index: 1, count: 2 });
  assert.throws(() => parseShard('auto', {}), /SLURM_ARRAY_TASK_ID/);
});
