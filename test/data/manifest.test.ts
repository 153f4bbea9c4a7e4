import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadDataset } from '../../src/data/load';
import { config, gradient, synthSet, synthTruth, tmpDir, writeImage } from './helpers';

test('A.I.D.A.-like layout as a csv configuration: images/ + labels.csv, label = intensity, group = specimen, masks by pattern', async () => {
  const root = await synthSet('intensity', 100);
  const ds = loadDataset(config({
    format: 'csv', manifest: path.join(root, 'labels.csv'), root: path.join(root, 'images'),
    columns: { path: 'ImageFileName', label: 'intensity', group: 'specimen' }, image: { mask: true },
  }));
  const truth = synthTruth(root);
  assert.equal(ds.items.length, truth.length);
  assert.deepEqual(ds.classes, ['negative', 'positive']);
  const first = ds.items[0];
  assert.equal(first.label, truth[0].intensity);
  assert.equal(first.group, truth[0].specimen);
  assert.equal(first.maskPath, path.join(root, truth[0].mask));
  assert.equal(first.extra.pattern, truth[0].pattern, 'other columns kept');
  assert.equal(first.source, `${path.join(root, 'labels.csv')}:2`);
});

test('HPA layout: Id,Target without a path column; pathPattern picks the green file, channelFiles compose RGB, multiLabel first', async () => {
  const root = path.join(tmpDir(), 'hpa');
  for (const id of ['a1', 'b2']) for (const c of ['red', 'green', 'blue', 'yellow']) await writeImage(path.join(root, 'train', `${id}_${c}.png`), gradient(16, 16), 16, 16, 1);
  fs.writeFileSync(path.join(root, 'train.csv'), 'Id,Target\na1,16 0\nb2,7\n');
  const green = loadDataset(config({ format: 'csv', manifest: path.join(root, 'train.csv'), root, columns: { id: 'Id', label: 'Target' },
    pathPattern: 'train/{id}_green.png', multiLabel: 'first', image: { channels: 'green' } }));
  assert.deepEqual(green.items.map((i) => [i.id, i.label, path.basename(i.path)]), [['a1', '16', 'a1_green.png'], ['b2', '7', 'b2_green.png']]);
  const rgb = loadDataset(config({ format: 'csv', manifest: path.join(root, 'train.csv'), root, columns: { id: 'Id', label: 'Target' },
    channelFiles: { red: 'train/{id}_red.png', green: 'train/{id}_green.png', blue: 'train/{id}_blue.png' }, image: { channels: 'rgb' } }));
  assert.deepEqual(Object.keys(rgb.items[0].channelPaths!), ['red', 'green', 'blue']);
  assert.equal(rgb.items[0].label, '16 0', 'multiLabel keep (default): the label as written');
});

test('column names are guessed when not configured; split values train/val/test; a mask column', async () => {
  const root = tmpDir();
  for (const n of ['a', 'b', 'c']) {
    await writeImage(path.join(root, 'img', `${n}.png`), gradient(10, 10), 10, 10, 1);
    await writeImage(path.join(root, 'm', `${n}.png`), new Uint8Array(100).fill(255), 10, 10, 1);
  }
  fs.writeFileSync(path.join(root, 'list.csv'), 'File;Class;Patient;Set;Mask\nimg/a.png;x;p1;training;m/a.png\nimg/b.png;y;p2;Validation;m/b.png\nimg/c.png;x;p3;test;m/c.png\n');
  const ds = loadDataset(config({ format: 'csv', manifest: path.join(root, 'list.csv'), image: { mask: true }, columns: { mask: 'Mask' } }));
  assert.deepEqual(ds.items.map((i) => [i.id, i.label, i.group, i.split, path.relative(root, i.maskPath!)]),
    [['img/a', 'x', 'p1', 'train', 'm/a.png'], ['img/b', 'y', 'p2', 'val', 'm/b.png'], ['img/c', 'x', 'p3', 'test', 'm/c.png']]);
});
