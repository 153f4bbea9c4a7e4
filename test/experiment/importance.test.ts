// Parameter importance (one-way ANOVA omega squared per parameter) on synthetic searches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random } from '../../src/engine/random';
import { paramImportance } from '../../src/experiment/importance';

test('the parameter that drives the objective gets nearly all the share; a noise parameter almost none', () => {
  const rng = new Random(3);
  const rows = Array.from({ length: 40 }, () => {
    const lr = 10 ** rng.uniform(-4, -1), wd = rng.uniform(0, 0.1), backbone = rng.pick(['a', 'b']);
    return { params: { 'train.lr': lr, 'train.weightDecay': wd, 'model.backbone': backbone }, value: -((Math.log10(lr) + 2.5) ** 2) + rng.normal(0, 0.05) };
  });
  const imp = Object.fromEntries(paramImportance(rows).map((r) => [r.param, r]));
  assert.ok(imp['train.lr'].share > 0.8, JSON.stringify(imp));
  assert.ok(imp['train.weightDecay'].share < 0.15 && imp['model.backbone'].share < 0.15, JSON.stringify(imp));
  const total = Object.values(imp).reduce((s, r) => s + r.share, 0);
  assert.ok(Math.abs(total - 1) < 1e-9);
  assert.ok(imp['train.lr'].statistic > 0.7 && imp['train.lr'].statistic <= 1, 'omega squared of the driving parameter');
});

test('a categorical parameter that decides the objective explains nearly all of it; folds are averaged first', () => {
  // 4 backbones x 3 learning rates x 2 folds: the backbone decides, the rate adds a little noise.
  const rows = ['w', 'x', 'y', 'z'].flatMap((b, i) => [0.001, 0.01, 0.1].flatMap((lr, j) => [0, 1].map((fold) => (
    { params: { 'model.backbone': b, 'train.lr': lr }, value: (i === 1 ? 0.9 : 0.5) + j * 0.001 + fold * 0.01 }))));
  const imp = Object.fromEntries(paramImportance(rows).map((r) => [r.param, r]));
  assert.ok(imp['model.backbone'].statistic > 0.99 && imp['model.backbone'].share > 0.99, JSON.stringify(imp));
  assert.ok(imp['train.lr'].share < 0.01, JSON.stringify(imp));
  assert.deepEqual(paramImportance(rows.slice(0, 4)), [], 'fewer than 3 configurations: no estimate');
  assert.deepEqual(paramImportance([{ params: { a: 1 }, value: null }, { params: { a: 2 }, value: NaN }]), []);
});

test('a conditional key\'s absence is a group of its own', () => {
  const rows = Array.from({ length: 12 }, (_, i) => ({ params: i < 6 ? { 'model.dropout': i / 20 } : {}, value: i < 6 ? 0.8 : 0.4 }));
  const [only] = paramImportance(rows);
  assert.equal(only.param, 'model.dropout');
  assert.ok(only.statistic > 0.99);
});
