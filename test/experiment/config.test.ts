import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadExperimentFile, resolveConfig, configHash, parseSet, flattenConfig } from '../../src/experiment/config';
import { ConfigError } from '../../src/engine/schema';

function writeExperiment(text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-config-'));
  fs.mkdirSync(path.join(dir, 'experiments'));
  const file = path.join(dir, 'experiments', 'x.yaml');
  fs.writeFileSync(file, text);
  return file;
}

const BASE = `
name: demo
dataset: { format: icpr2012, root: ../data/hep2, image: { size: 48 } }
model: { backbone: small-cnn }
train: { epochs: 3, lr: 0.01 }
profiles:
  smoke: { train: { epochs: 1 }, dataset: { image: { size: 32 } } }
`;

test('defaults are filled and relative paths resolve against the file folder', () => {
  const file = writeExperiment(BASE);
  const r = loadExperimentFile(file, { env: {} });
  assert.equal(r.config.dataset.root, path.resolve(path.dirname(file), '../data/hep2'));
  assert.equal(r.config.dataset.image.size, 48);
  assert.equal(r.config.dataset.image.resize, 'pad');
  assert.equal(r.config.train.batchSize, 32);
  assert.equal(r.config.dataset.split.kind, 'predefined');
  assert.deepEqual(r.config.sweep, {});
});

test('profiles apply by option or CELLAB_PROFILE; an unknown profile lists the defined ones', () => {
  const file = writeExperiment(BASE);
  assert.equal(loadExperimentFile(file, { profile: 'smoke', env: {} }).config.train.epochs, 1);
  const viaEnv = loadExperimentFile(file, { env: { CELLAB_PROFILE: 'smoke' } });
  assert.equal(viaEnv.config.dataset.image.size, 32);
  assert.equal(viaEnv.config.train.lr, 0.01, 'a profile merges, it does not replace the section');
  assert.throws(() => loadExperimentFile(file, { profile: 'smok', env: {} }), /profile `smok` is not defined. Did you mean `smoke`\? Available: smoke/);
});

test('--set values are YAML; sweep.<key> sets the flat sweep map; --set paths resolve against cwd', () => {
  const file = writeExperiment(BASE);
  const r = loadExperimentFile(file, {
    env: {}, cwd: '/tmp/somewhere',
    set: ['train.epochs=2', 'sweep.train.lr=[0.001, 0.01]', 'dataset.root=mydata', 'model.backbone=small-cnn'],
  });
  assert.equal(r.config.train.epochs, 2);
  assert.deepEqual(r.config.sweep, { 'train.lr': [0.001, 0.01] });
  assert.equal(r.config.dataset.root, '/tmp/somewhere/mydata');
  assert.deepEqual(parseSet('a.b=true'), ['a.b', true]);
  assert.deepEqual(parseSet('a.b=hello world'), ['a.b', 'hello world']);
});

test('a --set value that is not valid YAML is an error naming the key, unless it is plainly text', () => {
  assert.throws(() => parseSet('sweep.train.lr=[0.001, 0.01'), /--set sweep\.train\.lr=\[0\.001, 0\.01: not valid YAML \(Flow sequence must end with a \]\)\. Fix the brackets or quotes/);
  assert.throws(() => parseSet('dataset.classWeights={a: 1'), /--set dataset\.classWeights=\{a: 1: not valid YAML \(Flow map must end with a \}\)/);
  assert.throws(() => parseSet('name="unfinished'), /--set name="unfinished: not valid YAML .*quote the whole value/);
  assert.throws(() => parseSet('model.pretrained=*base'), /--set model\.pretrained=\*base: not valid YAML \(Unresolved alias/);
  // A comment would silently cut the value.
  assert.throws(() => parseSet('description=run #3'), /--set description=run #3: YAML reads `#` after a space as the start of a comment/);
  assert.deepEqual(parseSet('description="run #3"'), ['description', 'run #3']);
  // Text YAML refuses only for its reserved first character stays text.
  assert.deepEqual(parseSet('tracking.tags.owner=@lab'), ['tracking.tags.owner', '@lab']);
  assert.deepEqual(parseSet('a.b=x#y'), ['a.b', 'x#y']);
  assert.throws(() => loadExperimentFile(writeExperiment(BASE), { env: {}, set: ['train.epochs=[2'] }), /--set train\.epochs=\[2: not valid YAML/);
});

test('unknown keys get a did-you-mean hint; wrong types name the key and the expected type', () => {
  const file = writeExperiment(BASE.replace('epochs: 3', 'epoch: 3').replace('lr: 0.01', 'lr: fast'));
  assert.throws(() => loadExperimentFile(file, { env: {} }), (err: Error) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /unknown key `train.epoch`. Did you mean `epochs`\?/);
    assert.match(err.message, /`train.lr` must be a number, got string "fast"/);
    assert.match(err.message, new RegExp(file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    return true;
  });
  assert.throws(() => loadExperimentFile(writeExperiment(BASE), { env: {}, set: ['train.epoks=2'] }), /--set train.epoks: unknown key. Did you mean `train.epochs`\?/);
  assert.throws(() => loadExperimentFile(writeExperiment(BASE), { env: {}, set: ['sweep.train.lrr=[1]'] }), /not a config key to sweep. Did you mean `train.lr`\?/);
  assert.throws(() => loadExperimentFile(writeExperiment(BASE + 'dataset2: 1\n'), { env: {} }), /unknown key `dataset2`. Did you mean `dataset`\?/);
  assert.throws(() => loadExperimentFile(writeExperiment('name: [unclosed\n'), { env: {} }), /line \d+, column \d+: Flow sequence/);
});

test('the config hash ignores tracking keys and profile names but not what a trial computes', () => {
  const file = writeExperiment(BASE);
  const a = loadExperimentFile(file, { env: {} }).config;
  const b = loadExperimentFile(file, { env: {}, set: ['tracking.experiment=other', 'tracking.uri=http://x'] }).config;
  const c = loadExperimentFile(file, { env: {}, set: ['train.lr=0.02'] }).config;
  const d = loadExperimentFile(file, { env: {}, set: ['dataset.stream=true', 'dataset.cache.dir=/tmp/elsewhere'] }).config;
  assert.equal(configHash(a), configHash(b));
  assert.equal(configHash(a), configHash(d), 'cache/stream settings do not change what a trial computes');
  assert.notEqual(configHash(a), configHash(c));
  assert.notEqual(configHash(a, { fold: 0 }), configHash(a, { fold: 1 }));
  const smokeByName = loadExperimentFile(file, { env: {}, profile: 'smoke' }).config;
  const smokeBySet = loadExperimentFile(file, { env: {}, set: ['train.epochs=1', 'dataset.image.size=32'] }).config;
  assert.equal(configHash(smokeByName), configHash(smokeBySet));
});

test('flattenConfig gives dotted MLflow param keys', () => {
  const r = resolveConfig({ train: { lr: 0.1 } }, { baseDir: '/x', env: {} });
  const flat = flattenConfig({ train: r.config.train });
  assert.equal(flat['train.lr'], 0.1);
  assert.equal(flat['train.epochs'], 5);
});
