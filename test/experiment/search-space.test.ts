// The sweep section as a search: methods, distributions, conditional keys, and
// the errors a user meets when writing one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../src/experiment/config';
import { expandTrials, shardTrials } from '../../src/experiment/trials';
import { searchSpec } from '../../src/experiment/search-space';

const load = (sweep: Record<string, unknown>, set?: string[], extra: Record<string, unknown> = {}) =>
  resolveConfig({ name: 't', dataset: { root: '/data' }, sweep, ...extra }, { baseDir: '/x', env: {}, set }).config;
const problems = (sweep: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
  try { load(sweep, undefined, extra); } catch (err) { return (err as Error).message; }
  return '';
};

test('random: the same file and seed give the same trials; another seed other trials; values inside their ranges', () => {
  const sweep = {
    method: 'random', trials: 8,
    'model.backbone': ['small-cnn', 'resnet18'],
    'train.lr': { loguniform: [1e-4, 0.1] },
    'train.weightDecay': { uniform: [0, 0.1] },
    'train.batchSize': { int: [8, 64], log: true },
  };
  const a = expandTrials(load(sweep)), b = expandTrials(load(sweep)), c = expandTrials(load({ ...sweep, seed: 1 }));
  assert.equal(a.length, 8);
  assert.deepEqual(a.map((t) => t.params), b.map((t) => t.params));
  assert.notDeepEqual(a.map((t) => t.params), c.map((t) => t.params));
  for (const t of a) {
    const lr = t.params['train.lr'] as number, wd = t.params['train.weightDecay'] as number, bs = t.params['train.batchSize'] as number;
    assert.ok(lr >= 1e-4 && lr <= 0.1 && wd >= 0 && wd <= 0.1 && Number.isInteger(bs) && bs >= 8 && bs <= 64, JSON.stringify(t.params));
    assert.equal(t.config.train.lr, lr);
    assert.equal(t.config.train.batchSize, bs);
  }
  // Log-uniform: about as many draws below the geometric middle (0.00316) as above.
  const many = expandTrials(load({ ...sweep, trials: 200 })).map((t) => t.params['train.lr'] as number);
  const below = many.filter((x) => x < Math.sqrt(1e-4 * 0.1)).length;
  assert.ok(below > 70 && below < 130, `draws below the log-middle: ${below} of 200`);
  // More trials extend a search: the first 8 are the same 8.
  assert.deepEqual(many.slice(0, 8), a.map((t) => t.params['train.lr']));
});

test('the resolved sweep shows a search\'s defaults; --set reaches the reserved keys', () => {
  const c = load({ method: 'tpe', trials: 12, 'train.lr': { loguniform: [1e-4, 0.1] } }, ['sweep.tpe.startup=4', 'sweep.budget.trials=6', 'sweep.prune={method: asha}']);
  assert.deepEqual(c.sweep.tpe, { startup: 4, candidates: 24, gamma: 0.25 });
  assert.equal(c.sweep.seed, 0);
  assert.deepEqual(c.sweep.budget, { trials: 6 });
  assert.deepEqual(c.sweep.prune, { method: 'asha', minEpochs: 1, reductionFactor: 3, metric: 'val/accuracy', minTrials: 3 });
  const spec = searchSpec(c);
  assert.equal(spec.method, 'tpe');
  assert.deepEqual(spec.space.map((p) => p.key), ['train.lr']);
  // A plain grid keeps its sweep as written (its hash, and --resume of older sweeps, unchanged).
  assert.deepEqual(load({ 'train.lr': [0.1, 0.01] }).sweep, { 'train.lr': [0.1, 0.01] });
});

test('tpe: the first `startup` trials are drawn up front, the rest are chosen at launch; shards split by configuration', () => {
  const c = load({ method: 'tpe', trials: 5, tpe: { startup: 2 }, 'train.lr': { loguniform: [1e-4, 0.1] } }, undefined,
    { dataset: { root: '/data', split: { kind: 'stratified-kfold', folds: 2 } } });
  const t = expandTrials(c);
  assert.equal(t.length, 10);
  assert.deepEqual(t.map((x) => x.pending ?? false), [false, false, false, false, true, true, true, true, true, true]);
  assert.deepEqual(t[0].params, t[1].params, 'folds of one configuration share its params');
  assert.deepEqual(t.map((x) => x.point), [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
  const shard0 = shardTrials(t, { index: 0, count: 2 }).map((x) => x.index);
  assert.deepEqual(shard0, [0, 1, 4, 5, 8, 9], 'a shard owns whole configurations');
});

test('conditional keys apply only where their condition holds (random and grid)', () => {
  const sweep = {
    method: 'random', trials: 30,
    'model.backbone': ['small-cnn', 'resnet18'],
    'model.dropout': { uniform: [0, 0.5], when: { 'model.backbone': ['resnet18'] } },
  };
  const t = expandTrials(load(sweep));
  for (const x of t) assert.equal('model.dropout' in x.params, x.params['model.backbone'] === 'resnet18', JSON.stringify(x.params));
  assert.ok(t.some((x) => 'model.dropout' in x.params) && t.some((x) => !('model.dropout' in x.params)));
  // A grid with a conditional list: the key varies only under its condition, without duplicates.
  const g = expandTrials(load({ 'model.backbone': ['small-cnn', 'resnet18'], 'model.dropout': { choice: [0, 0.2], when: { 'model.backbone': ['resnet18'] } } }));
  assert.deepEqual(g.map((x) => x.params), [
    { 'model.backbone': 'small-cnn' }, { 'model.backbone': 'resnet18', 'model.dropout': 0 }, { 'model.backbone': 'resnet18', 'model.dropout': 0.2 }]);
});

test('bad search definitions are errors that say what to do', () => {
  assert.match(problems({ 'train.lr': { loguniform: [1e-4, 0.1] } }),
    /`sweep.train.lr`: \{loguniform: \.\.\.\} is a distribution, which a grid cannot enumerate. Set `sweep.method: random` or `tpe` \(with `sweep.trials: N`\)/);
  assert.match(problems({ method: 'tpe', 'train.lr': [0.1] }), /`sweep.method: tpe` needs `sweep.trials: N`/);
  assert.match(problems({ method: 'bayes', trials: 3, 'train.lr': [0.1] }), /`sweep.method` must be one of 'grid' \| 'random' \| 'tpe', got 'bayes'/);
  assert.match(problems({ methd: 'tpe', 'train.lr': [0.1] }), /unknown key `sweep.methd`.*Did you mean `method`\?/);
  assert.match(problems({ method: 'random', trials: 3, 'train.lr': { logunifrom: [1e-4, 0.1] } }), /unknown key `sweep.train.lr.logunifrom`. Did you mean `loguniform`\?/);
  assert.match(problems({ method: 'random', trials: 3, 'train.lr': { loguniform: [0, 0.1] } }), /low must be > 0 \(a log scale\)/);
  assert.match(problems({ method: 'random', trials: 3, 'train.lr': { uniform: [0.1, 0.01] } }), /low 0.1 must be below high 0.01/);
  assert.match(problems({ method: 'random', trials: 3, 'train.lr': { uniform: [0.1, 0.2], int: [1, 2] } }), /needs exactly one of loguniform, uniform, int, choice, got uniform and int/);
  assert.match(problems({ method: 'random', trials: 3, 'model.backbone': { uniform: [0, 1] } }), /uniform draws numbers but `model.backbone` is not a number/);
  assert.match(problems({ method: 'random', trials: 3, 'train.batchSize': { int: [1.5, 8] } }), /bounds must be integers/);
  assert.match(problems({ method: 'random', trials: 3, 'model.backbone': ['small-cnn', 'resnet18'], 'model.dropout': { uniform: [0, 0.5], when: { 'model.backbone': ['resnet81'] } } }),
    /`model.backbone` never takes "resnet81" in this sweep.*Did you mean `resnet18`\?/);
  assert.match(problems({ method: 'random', trials: 3, 'model.dropout': { uniform: [0, 0.5], when: { 'model.backbone': ['resnet18'] } }, 'model.backbone': ['small-cnn', 'resnet18'] }),
    /depends on `model.backbone`, which is swept after it: write `model.backbone` first/);
  assert.match(problems({ method: 'random', trials: 3, 'model.dropout': { uniform: [0, 0.5], when: { 'model.bakcbone': ['resnet18'] } } }), /`model.bakcbone` is not a config key. Did you mean `model.backbone`\?/);
  assert.match(problems({ method: 'random', trials: 3, 'train.lr': [0.1, 0.01], tpe: { startup: 2 } }), /`sweep.tpe` applies to method tpe, not random/);
  assert.match(problems({ 'train.lr': [0.1], trials: 4 }), /`sweep.trials` applies to method random or tpe.*budget.trials/);
  assert.match(problems({ method: 'random', trials: 3, 'train.lr': [0.1, 0.01], prune: { method: 'asha', maxEpochs: 12 } }), /`sweep.prune.maxEpochs` applies to method hyperband, not asha/);
  assert.doesNotMatch(problems({ method: 'random', trials: 3, 'train.lr': [0.1, 0.01], prune: { method: 'hyperband', maxEpochs: 12 } }), /maxEpochs/);
  assert.match(problems({ method: 'random', trials: 3, 'train.lr': [0.1], prune: { method: 'hyperbnd' } }), /`sweep.prune.method` must be one of 'asha' \| 'hyperband' \| 'median', got 'hyperbnd'/);
  assert.match(problems({ method: 'random', trials: 3, 'train.lr': [0.1], prune: { metric: 'val/f1' } }), /`sweep.prune.metric` must be one of 'val\/accuracy'/);
  assert.match(problems({ method: 'random', trials: 3, 'train.lr': [0.1], budget: { minuts: 5 } }), /unknown key `sweep.budget.minuts`. Did you mean `minutes`\?/);
  assert.match(problems({ method: 'tpe', trials: 3, 'train.lr': [0.1] }, { dataset: { root: '/data', split: { kind: 'stratified', valFraction: 0 } } }),
    /tpe` learns from validation accuracy: set `dataset.split.valFraction` > 0/);
  assert.match(problems({ 'train.lr': 0.1 }), /`sweep.train.lr` must be a list of any value, or a mapping, or null/);
});
