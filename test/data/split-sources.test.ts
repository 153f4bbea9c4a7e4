import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../../src/data/load';
import { splitDataset } from '../../src/data/split';
import { prepareSplitSources } from '../../src/data/split-sources';
import { computeNormalization } from '../../src/data/normalization';
import { Random } from '../../src/engine/random';
import type { BatchSource } from '../../src/data/batches';
import { config, synthSet, synthTruth } from './helpers';

function firstX(s: BatchSource, seed = 1): number[] {
  const b = s.batches({ batchSize: 8, shuffle: new Random(seed) })[Symbol.iterator]().next().value!;
  const x = Array.from(b.x.dataSync() as Float32Array);
  tf.dispose([b.x, b.y]);
  return x;
}

test('one trial\'s data: anomalies dropped from train only, normalisation from train, augmentation on train only, class weights from train', async () => {
  const root = await synthSet('patterns', 300, 2, 0.05);
  const cfg = config({
    format: 'icpr2012', root, image: { size: 32, mask: true },
    anomalyFilter: { std: 3, method: 'specimen' }, normalize: 'train', augment: { hflip: 1, rotate90: true },
    classWeights: 'inverse', split: { kind: 'stratified-group-kfold', folds: 4 },
  });
  const ds = loadDataset(cfg);
  const split = splitDataset(ds.items, cfg.split, 1);
  const s = await prepareSplitSources(split, ds.classes, cfg, { seed: 3 });
  try {
    const planted = new Set(synthTruth(root).filter((r) => r.anomaly === 'saturated' || r.anomaly === 'near_black').map((r) => r.id));
    assert.ok(s.anomalies && s.anomalies.dropped.length > 0);
    assert.ok(s.anomalies.dropped.every((d) => split.train.includes(d.item)), 'only training items are judged');
    assert.equal(s.train.size, split.train.length - s.anomalies.dropped.length);
    assert.equal(s.test.size, split.test.length, 'test keeps its anomalies');
    const plantedInTrain = split.train.filter((i) => planted.has(i.id));
    assert.ok(plantedInTrain.length > 0 && plantedInTrain.every((i) => !s.split.train.includes(i)), 'planted anomalies left the training split');
    // Normalisation: the training split's statistics (before augmentation).
    const n = computeNormalization(s.train.withOptions({}));
    const used = s.normalization;
    assert.ok(used && used !== 'image' && Math.abs(n.mean[0] - used.mean[0]) < 1e-9);
    // Augmentation on train only: test batches do not change with the seed, train batches do.
    assert.deepEqual(firstX(s.test, 1), firstX(s.test, 1));
    assert.notDeepEqual(firstX(s.train, 1), firstX(s.train.withOptions({ normalize: s.normalization }), 1));
    assert.equal(s.test.options.transform, undefined);
    assert.ok(s.train.options.transform);
    // Class weights from the filtered training labels.
    const counts = s.classes.map((_, c) => Array.from(s.train.labels).filter((l) => l === c).length);
    assert.deepEqual(s.classWeights.counts, counts);
    assert.ok(Math.abs(s.classWeights.perClass[0] - s.train.size / (s.classes.length * counts[0])) < 1e-12);
  } finally {
    s.close();
  }
});
