// Galleries: thumbnails as the model sees the cell (mask outlined or applied), cells per
// class, one image through the augmentation, dropped anomalies beside typical cells.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import sharp from 'sharp';
import { thumbnailPixels, maskOutline } from '../../src/data/thumbnail';
import { augmentPreview, anomalyGallery, classGallery, galleryText } from '../../src/data/gallery';
import { setGalleryDisplay, showGallery } from '../../src/data/display';
import { filterByMeanIntensity } from '../../src/data/anomaly';
import { load } from '../../src/data/load';
import { augmentSchema, type AugmentConfig } from '../../src/data/schema';
import { validate } from '../../src/engine/schema';
import type { DatasetItem } from '../../src/data/types';
import { ellipseMask, gradient, synthSet, tmpDir, writeImage } from './helpers';

async function cellFiles(): Promise<DatasetItem> {
  const dir = tmpDir('cellab-gallery-');
  const file = path.join(dir, 'cell.png'), mask = path.join(dir, 'cell_mask.png');
  await writeImage(file, gradient(40, 40), 40, 40, 1);
  await writeImage(mask, ellipseMask(40, 40), 40, 40, 1);
  return { id: 'cell', path: file, maskPath: mask, label: 'a', extra: {} };
}

test('a thumbnail outlines the mask in yellow and keeps every other pixel as it is', async () => {
  const item = await cellFiles();
  const t = await thumbnailPixels(item, { size: 40 });
  assert.equal(t.channels, 3);
  const edge = maskOutline(Uint8Array.from(ellipseMask(40, 40), (v) => (v ? 1 : 0)), 40);
  const grey = gradient(40, 40);
  let outline = 0;
  for (let i = 0; i < 40 * 40; i++) {
    const px = [t.data[3 * i], t.data[3 * i + 1], t.data[3 * i + 2]];
    if (edge[i]) { outline++; assert.deepEqual(px, [255, 214, 0], `outline pixel ${i}`); } else assert.deepEqual(px, [grey[i], grey[i], grey[i]], `pixel ${i}`);
  }
  assert.ok(outline > 60 && outline < 200, `${outline} outline pixels: a closed ring`);
  const applied = await thumbnailPixels(item, { size: 40, mask: 'apply' });
  assert.equal(applied.channels, 1);
  const inside = ellipseMask(40, 40);
  for (let i = 0; i < 40 * 40; i++) assert.equal(applied.data[i], inside[i] ? grey[i] : 0);
  await assert.rejects(thumbnailPixels({ ...item, maskPath: undefined }, { mask: 'apply' }), /has no mask, so it cannot be shown with mask: apply/);
});

test('a class gallery: one row per class, n cells each, captions name the cell and its specimen', async () => {
  const root = await synthSet('patterns', 72, 1);
  const ds = await load({ format: 'icpr2012', root, image: { size: 32, mask: true }, cache: { dir: tmpDir('cellab-cache-') } });
  const g = await classGallery(ds.items, { n: 3, masks: true, size: 48 });
  assert.deepEqual(g.rows.map((r) => r.label!.replace(/ \(\d+\)$/, '')), ds.classes);
  assert.ok(g.rows.every((r) => r.tiles.length === 3));
  const ids = new Set(ds.items.map((i) => i.id));
  assert.ok(g.rows.every((r) => r.tiles.every((t) => ids.has(t.id!) && t.caption![0] === t.id && /^specimen /.test(t.caption![1]))));
  const first = g.rows[0].tiles[0];
  assert.deepEqual(await sharp(first.png).metadata().then((m) => [m.width, m.height]), [48, 48]);
  assert.match(g.subtitle!, /72 items, 6 classes; mask outlined in yellow/);
  assert.match(galleryText(g), /^6 random|^3 random cell\(s\) per class/);
  // The notebook face: ds.show() hands the gallery to the registered display.
  const shown: string[] = [];
  setGalleryDisplay(async (x) => { shown.push(x.title); });
  try {
    const again = await ds.show({ n: 2, split: 'test' });
    assert.deepEqual(shown, [again.title]);
    assert.ok(again.rows.every((r) => r.tiles.every((t) => ds.test.some((i) => i.id === t.id))), 'split: test shows test items only');
  } finally {
    setGalleryDisplay(undefined);
  }
});

test('augment.preview: the original, then the same cell through the training augmentation n times', async () => {
  const item = await cellFiles();
  const image = { size: 40, resize: 'pad' as const, channels: 'gray' as const, mask: false };
  const flipAll = validate(augmentSchema, { hflip: 1 }, 'augment', []) as AugmentConfig;
  const g = await augmentPreview(item, flipAll, image, 3, { size: 40 });
  const tiles = g.rows[0].tiles;
  assert.equal(tiles.length, 4);
  const raw = async (png: Buffer) => (await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true })).data;
  const original = await raw(tiles[0].png), flipped = await raw(tiles[1].png);
  const grey = gradient(40, 40);
  for (let y = 0; y < 40; y++) for (let x = 0; x < 40; x++) {
    assert.equal(original[y * 40 + x], grey[y * 40 + x]);
    assert.equal(flipped[y * 40 + x], grey[y * 40 + (39 - x)], `hflip with p = 1 mirrors every copy (${x}, ${y})`);
  }
  const varied = validate(augmentSchema, { rotate90: true, brightness: 0.3 }, 'augment', []) as AugmentConfig;
  const v = await augmentPreview(item, varied, image, 6);
  const distinct = new Set(await Promise.all(v.rows[0].tiles.map(async (t) => (await raw(t.png)).toString('base64'))));
  assert.ok(distinct.size >= 4, `random augmentation gives different copies (${distinct.size} distinct of 7)`);
  await assert.rejects(augmentPreview(item, false, image), /dataset.augment is not set/);
});

test('the anomaly gallery shows each dropped cell (red frame, why, z-score) beside typical cells of its class', async () => {
  const root = await synthSet('patterns', 300, 2, 0.05);
  const ds = await load({ format: 'icpr2012', root, image: { size: 32, mask: true }, anomalyFilter: { std: 3, method: 'specimen' }, cache: { dir: tmpDir('cellab-cache-') } });
  const r = await ds.anomalies();
  assert.ok(r.dropped.length > 0, 'the planted saturated / near-black cells are found');
  const g = await anomalyGallery(r, { typical: 2, size: 40 });
  assert.equal(g.rows.length, Math.min(24, r.dropped.length));
  g.rows.forEach((row, i) => {
    const d = r.dropped[i];
    assert.equal(row.label, `${d.label}: ${d.z > 0 ? 'too bright' : 'too dim'}`, 'the row says why the cell was dropped');
    assert.equal(row.tiles[0].id, d.id);
    assert.equal(row.tiles[0].border, '#e45756');
    assert.match(row.tiles[0].caption!.join(' '), new RegExp(`z [+-]${Math.abs(d.z).toFixed(1)} mean ${d.mean.toFixed(3)}`));
    const typical = row.tiles.slice(1);
    assert.equal(typical.length, 2);
    const cls = r.classes.find((c) => c.label === d.label)!;
    const kept = r.kept.filter((k) => k.label === d.label).map((k) => Math.abs(r.mean(k.id)! - cls.mean)).sort((a, b) => a - b);
    typical.forEach((t, k) => assert.ok(Math.abs(Math.abs(r.mean(t.id!)! - cls.mean) - kept[k]) < 1e-12, 'the kept cells closest to the class mean'));
  });
  // Without a notebook display, a gallery prints as text.
  const lines: string[] = [];
  const log = console.log;
  console.log = (s: string) => { lines.push(s); };
  try { await showGallery(g); } finally { console.log = log; }
  assert.match(lines.join('\n'), new RegExp(`Anomaly filter: ${r.dropped.length} dropped`));
  assert.ok(filterByMeanIntensity(ds.train, { std: 3, method: 'specimen', means: new Map(ds.train.map((i) => [i.id, r.mean(i.id)!])) }).dropped.length === r.dropped.length);
});
