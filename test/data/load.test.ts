import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { load, loadDataset, prepareBatches, resolveDatasetConfig } from '../../src/data/load';
import { config, synthSet, tmpDir } from './helpers';

test('load() for notebooks: a partial config with defaults, the split, and summary tables', async () => {
  const root = await synthSet('patterns', 120);
  const ds = await load({ format: 'icpr2012', root, image: { size: 32, mask: true }, cache: { dir: tmpDir() } });
  assert.equal(ds.config.image.resize, 'pad');
  assert.equal(ds.train.length + ds.val.length + ds.test.length, ds.items.length);
  assert.equal(ds.summary().shape[0], ds.classes.length);
  assert.ok(ds.specimens().shape[0] >= 28);
  await assert.rejects(load({ format: 'icpr2012', root, imgae: {} }), /unknown key `dataset.imgae`. Did you mean `image`\?/);
});

test('prepareBatches: one split as a batch source with class indices from the class list', async () => {
  const root = await synthSet('patterns', 120);
  const ds = loadDataset(config({ format: 'icpr2012', root, image: { size: 16, mask: true } }));
  const items = ds.items.slice(0, 10);
  const { source, skipped } = await prepareBatches(items, ds.classes, resolveDatasetConfig({ image: { size: 16, mask: true } }).image,
    { onBadInput: 'fail', cache: { enabled: true, dir: tmpDir() } });
  assert.equal(skipped.length, 0);
  assert.deepEqual(source.ids, items.map((i) => i.id));
  assert.deepEqual(Array.from(source.labels), items.map((i) => ds.classes.indexOf(i.label)));
  const b = source.batches({ batchSize: 10 })[Symbol.iterator]().next().value!;
  assert.deepEqual(b.x.shape, [10, 16, 16, 1]);
  tf.dispose([b.x, b.y]);
  await assert.rejects(prepareBatches(items, ['homogeneous'], resolveDatasetConfig({}).image, { onBadInput: 'fail', cache: { enabled: false } }),
    /label '\w+' is not one of the classes homogeneous/);
});
