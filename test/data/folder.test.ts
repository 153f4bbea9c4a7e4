import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadDataset } from '../../src/data/load';
import { config, ellipseMask, folderSet, gradient, python, synthSet, synthTruth, tmpDir, writeImage } from './helpers';

test('folder-per-class: classes from the folders, every image found, masks from a parallel folder', async () => {
  const icpr = await synthSet('patterns', 120);
  const { root, masks } = folderSet(icpr);
  const ds = loadDataset(config({ format: 'folder', root, image: { mask: true }, mask: { dir: masks } }));
  const truth = synthTruth(icpr);
  assert.equal(ds.items.length, truth.length);
  assert.deepEqual(ds.classes, [...new Set(truth.map((t) => t.pattern))].sort());
  const one = ds.items.find((i) => i.id === `${truth[0].pattern}/${truth[0].id}`)!;
  assert.equal(one.label, truth[0].pattern);
  assert.equal(one.maskPath, path.join(masks, truth[0].pattern, `${truth[0].id}.png`));
  assert.equal(one.split, undefined);
});

test('png, tif, jpg and bmp images; masks beside them are not items; train/test folders give the split', async () => {
  const root = path.join(tmpDir(), 'ds');
  await writeImage(path.join(root, 'train', 'pos', '1.png'), gradient(12, 12), 12, 12, 1);
  await writeImage(path.join(root, 'train', 'pos', '1_mask.png'), ellipseMask(12, 12), 12, 12, 1);
  await writeImage(path.join(root, 'train', 'neg', '1.tif'), gradient(12, 12), 12, 12, 1, 'tiff');
  await writeImage(path.join(root, 'train', 'neg', '1_mask.png'), ellipseMask(12, 12), 12, 12, 1);
  await writeImage(path.join(root, 'test', 'pos', '2.jpg'), gradient(12, 12, 3), 12, 12, 3, 'jpeg');
  await writeImage(path.join(root, 'test', 'pos', '2_mask.png'), ellipseMask(12, 12), 12, 12, 1);
  python(`
import sys, numpy as np
from PIL import Image
Image.fromarray(np.zeros((12, 12), np.uint8) + 90).save(sys.argv[1] + "/3.bmp")
Image.fromarray(np.full((12, 12), 255, np.uint8)).save(sys.argv[1] + "/3_mask.bmp")
print("null")`, [path.join(root, 'test', 'neg')].map((d) => { fs.mkdirSync(d, { recursive: true }); return d; }));
  const ds = loadDataset(config({ format: 'folder', root, image: { mask: true } }));
  assert.deepEqual(ds.items.map((i) => `${i.id}:${i.label}:${i.split}`).sort(),
    ['test/neg/3:neg:test', 'test/pos/2:pos:test', 'train/neg/1:neg:train', 'train/pos/1:pos:train']);
  assert.ok(ds.items.every((i) => /_mask\.(png|bmp)$/.test(i.maskPath!)));
});

test('a root without class folders, and a class folder without images, are named', async () => {
  const root = tmpDir();
  fs.writeFileSync(path.join(root, 'a.png'), '');
  assert.throws(() => loadDataset(config({ format: 'folder', root })), /has no sub-folders: dataset.format folder expects root\/<class>\/<images>/);
  fs.mkdirSync(path.join(root, 'empty'));
  await writeImage(path.join(root, 'full', 'x.png'), gradient(8, 8), 8, 8, 1);
  await writeImage(path.join(root, 'other', 'y.png'), gradient(8, 8), 8, 8, 1);
  assert.throws(() => loadDataset(config({ format: 'folder', root })), /empty: class folder 'empty' holds no images/);
});
