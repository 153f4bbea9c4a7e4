import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { prepareImage, toUnitFloats } from '../../src/data/image';
import type { DatasetItem } from '../../src/data/types';
import { ellipseMask, gradient, python, synthSet, synthTruth, tmpDir, writeImage } from './helpers';

const IMAGE = { size: 64, resize: 'pad' as const, channels: 'gray' as const, mask: true };
const item = (p: string, mask?: string, extra: Partial<DatasetItem> = {}): DatasetItem => ({ id: path.basename(p), path: p, label: 'x', extra: {}, ...(mask ? { maskPath: mask } : {}), ...extra });

test('decode + mask + resize of real cell crops matches the same steps in PIL within one grey level', async () => {
  const root = await synthSet('patterns', 120);
  const rows = synthTruth(root).slice(0, 12);
  const expected = python<{ px: number[]; mean: number }[]>(`
import sys, json, numpy as np
from PIL import Image
out = []
for img, mask in json.loads(sys.argv[1]):
    a = np.asarray(Image.open(img).convert("L")).copy()
    m = np.asarray(Image.open(mask).convert("L")) > 127
    mean = float(a[m].mean()) / 255
    a[~m] = 0
    im = Image.fromarray(a)
    w, h = im.size
    s = 64 / max(w, h)
    nw, nh = max(1, round(w * s)), max(1, round(h * s))
    r = Image.new("L", (64, 64))
    r.paste(im.resize((nw, nh), Image.BILINEAR), ((64 - nw) // 2, (64 - nh) // 2))
    out.append({"px": np.asarray(r).reshape(-1).tolist(), "mean": mean})
print(json.dumps(out))
`, [JSON.stringify(rows.map((r) => [path.join(root, r.path), path.join(root, r.mask)]))]);
  for (let i = 0; i < rows.length; i++) {
    const p = await prepareImage(item(path.join(root, rows[i].path), path.join(root, rows[i].mask)), IMAGE);
    let d = 0;
    p.pixels.forEach((v, j) => { d = Math.max(d, Math.abs(v - expected[i].px[j])); });
    assert.ok(d <= 1, `cell ${rows[i].id}: max difference to PIL ${d}`);
    assert.ok(Math.abs(p.mean - expected[i].mean) < 1e-9, `cell ${rows[i].id}: mean inside the mask`);
  }
});

test('outside the mask is 0 after preparing; an image/mask size mismatch names both files', async () => {
  const dir = tmpDir();
  const img = path.join(dir, '001.png'), mask = path.join(dir, '001_mask.png'), small = path.join(dir, '002_mask.png');
  const px = gradient(32, 32).map((v) => Math.max(v, 1));
  await writeImage(img, px, 32, 32, 1);
  await writeImage(mask, ellipseMask(32, 32), 32, 32, 1);
  await writeImage(small, ellipseMask(30, 32), 30, 32, 1);
  const p = await prepareImage(item(img, mask), { ...IMAGE, size: 32 });
  const m = ellipseMask(32, 32);
  p.pixels.forEach((v, i) => { if (!m[i]) assert.equal(v, 0, `pixel ${i} outside the mask`); else assert.ok(v > 0); });
  await assert.rejects(prepareImage(item(img, small), IMAGE),
    (e: Error) => e.message.includes(img) && e.message.includes(small) && /is 32x32 but its mask .* is 30x32/.test(e.message));
  const blank = path.join(dir, 'blank_mask.png');
  await writeImage(blank, new Uint8Array(32 * 32), 32, 32, 1);
  await assert.rejects(prepareImage(item(img, blank), IMAGE), /blank_mask\.png: mask of .*001\.png is empty/);
});

test('16-bit TIFFs stay 16 bit and scale by 65535; HPA channel files compose RGB or give one channel', async () => {
  const dir = tmpDir();
  python(`
import sys, numpy as np
from PIL import Image
y, x = np.mgrid[0:8, 0:8]
Image.fromarray((x * 8000 + y).astype(np.uint16)).save(sys.argv[1] + "/g16.tif")
for i, c in enumerate(["red", "green", "blue"]):
    Image.fromarray(np.full((8, 8), 40 * (i + 1), np.uint8)).save(f"{sys.argv[1]}/7_{c}.png")
print("null")
`, [dir]);
  const p16 = await prepareImage(item(path.join(dir, 'g16.tif')), { size: 8, resize: 'pad', channels: 'gray', mask: false });
  assert.equal(p16.bitDepth, 16);
  assert.ok(p16.pixels instanceof Uint16Array);
  assert.equal(p16.pixels[3], 24000);
  assert.ok(Math.abs(toUnitFloats(p16)[3] - 24000 / 65535) < 1e-7);
  const channelPaths = { red: path.join(dir, '7_red.png'), green: path.join(dir, '7_green.png'), blue: path.join(dir, '7_blue.png') };
  const hpa = item(channelPaths.green, undefined, { channelPaths });
  const rgb = await prepareImage(hpa, { size: 4, resize: 'stretch', channels: 'rgb', mask: false });
  assert.deepEqual(Array.from(rgb.pixels.subarray(0, 6)), [40, 80, 120, 40, 80, 120]);
  const green = await prepareImage(hpa, { size: 4, resize: 'stretch', channels: 'green', mask: false });
  assert.deepEqual(Array.from(green.pixels.subarray(0, 3)), [80, 80, 80]);
  assert.ok(Math.abs(green.mean - 80 / 255) < 1e-12);
  fs.rmSync(channelPaths.blue);
  await assert.rejects(prepareImage(hpa, { size: 4, resize: 'stretch', channels: 'rgb', mask: false }), /7_blue\.png: file is missing/);
});
