// Frozen features + linear head: the disk cache, the C grid and its
// selection, and the whole path from a backbone to class scores.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initEngine } from '../../src/engine/backend';
import { createBackbone } from '../../src/models/index';
import { cachedFeatures, extractFeatures } from '../../src/train/features';
import { DEFAULT_C_GRID, trainLinearHead } from '../../src/train/linear-head';
import { fitLinearHead } from '../../src/train/linear-fit';
import { validate } from '../../src/engine/schema';
import { trainSchema, type TrainConfig } from '../../src/train/schema';
import { toySource } from './toy-data';

let tmp: string;
before(async () => {
  await initEngine({ backend: 'wasm', log: null });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-lin-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const train = toySource(60, 1), val = toySource(30, 2), testSet = toySource(30, 3);
const backbone = () => createBackbone('small-cnn', { inputShape: [16, 16, 1], classes: 3, seed: 1 });

test('the C grid is 20 log-spaced values from 1e-6 to 10^2.5', () => {
  assert.equal(DEFAULT_C_GRID.length, 20);
  assert.ok(Math.abs(DEFAULT_C_GRID[0] - 1e-6) < 1e-18);
  assert.ok(Math.abs(DEFAULT_C_GRID[19] - 10 ** 2.5) < 1e-9);
  for (let i = 1; i < 20; i++) assert.ok(Math.abs(Math.log10(DEFAULT_C_GRID[i] / DEFAULT_C_GRID[i - 1]) - 8.5 / 19) < 1e-12);
});

test('embeddings are cached on disk: the second call reads them; new weights miss the cache', async () => {
  const m = backbone();
  const dir = path.join(tmp, 'cache');
  const a = await cachedFeatures(m, train, { layer: 'features', cacheDir: dir, dataKey: 'toy' });
  const b = await cachedFeatures(m, train, { layer: 'features', cacheDir: dir, dataKey: 'toy' });
  assert.equal(a.fromCache, false);
  assert.equal(b.fromCache, true);
  assert.deepEqual(b.features, a.features);
  assert.deepEqual(b.ids, train.ids);
  assert.equal(a.dim, m.getLayer('features').outputShape[1]);
  assert.equal((await cachedFeatures(m, train, { layer: 'features', cacheDir: dir, dataKey: 'other inputs' })).fromCache, false);
  const w = m.getLayer('stage1_conv').weights[0];
  w.write(w.read().mul(2));
  assert.equal((await cachedFeatures(m, train, { layer: 'features', cacheDir: dir, dataKey: 'toy' })).fromCache, false);
  m.dispose();
});

test('any named layer: a spatial one is average-pooled; an unknown one gets a hint', async () => {
  const m = backbone();
  const f = await extractFeatures(m, train, { layer: 'stage2_conv' });
  assert.equal(f.dim, (m.getLayer('stage2_conv').outputShape as number[])[3]);
  await assert.rejects(extractFeatures(m, train, { layer: 'featurs' }), /no layer `featurs`\. Did you mean `features`\?/);
  m.dispose();
});

test('logistic and SVM heads learn the toy task; C is chosen on validation, or by 3-fold CV without it', async () => {
  const m = backbone();
  const tr = await extractFeatures(m, train, { layer: 'features' }), va = await extractFeatures(m, val, { layer: 'features' });
  for (const classifier of ['logistic', 'svm'] as const) {
    const head = trainLinearHead(tr, va, 3, { classifier });
    assert.equal(head.path.length, 20);
    assert.equal(head.selectedOn, 'val');
    const best = head.path[head.bestIndex];
    assert.ok(head.path.every((r) => r.valAccuracy <= best.valAccuracy), 'the chosen C has the best validation accuracy');
    assert.ok(best.valAccuracy >= 0.9, `${classifier}: val accuracy ${best.valAccuracy}`);
    assert.ok(head.path[0].trainLoss > best.trainLoss, 'C = 1e-6 is the most regularised (highest training loss)');
  }
  const cv = trainLinearHead(tr, undefined, 3, { classifier: 'logistic', C: [0.01, 1] });
  assert.equal(cv.selectedOn, 'cv3');
  assert.equal(trainLinearHead(tr, va, 3, { classifier: 'logistic', C: 0.5 }).selectedOn, 'single');
  m.dispose();
});

test('fitLinearHead: one history row per C, scores for any split', async () => {
  const m = backbone();
  const problems: string[] = [];
  const cfg = validate(trainSchema, { linear: { classifier: 'logistic' } }, 'train', problems) as TrainConfig;
  const logs: string[] = [];
  const r = await fitLinearHead(m, train, val, cfg, { featureLayer: 'features', cacheDir: path.join(tmp, 'fit'), dataKey: 'toy', log: (l) => logs.push(l) });
  assert.equal(r.outcome, 'completed');
  assert.equal(r.history.length, 20);
  assert.equal(r.history[r.bestEpoch - 1]['linear/C'], r.head.C);
  const s = await r.scores(testSet);
  assert.equal(s.length, testSet.size * 3);
  let correct = 0;
  for (let i = 0; i < testSet.size; i++) {
    const row = Array.from(s.subarray(i * 3, i * 3 + 3));
    assert.ok(Math.abs(row.reduce((a, b) => a + b) - 1) < 1e-5);
    if (row.indexOf(Math.max(...row)) === testSet.labels[i]) correct++;
  }
  assert.ok(correct / testSet.size >= 0.9, `test accuracy ${correct / testSet.size}`);
  assert.match(logs[0], /linear head \(logistic\) on `features` \(\d+ features\): C = .* chosen on val from 20 value\(s\)/);
  m.dispose();
});
