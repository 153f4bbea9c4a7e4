import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeFile } from '../../../src/data/decode/index';
import { gradient, python, tmpDir, writeImage } from '../helpers';

test('TIFF 8 and 16 bit keep their depth and values; JPEG decodes close to PIL', async () => {
  const dir = tmpDir();
  const expected = python<{ jpeg: number[] }>(`
import sys, json, numpy as np
from PIL import Image
d = sys.argv[1]
y, x = np.mgrid[0:10, 0:12]
Image.fromarray((x * 5000 + y * 100).astype(np.uint16)).save(f"{d}/g16.tif")
Image.fromarray(((x * 20 + y * 3) % 256).astype(np.uint8)).save(f"{d}/g8.tif")
rgb = np.stack([(x * 20) % 256, (y * 25) % 256, (x + y) * 10 % 256], -1).astype(np.uint8)
Image.fromarray(rgb).save(f"{d}/c.jpg", quality=95)
print(json.dumps({"jpeg": np.asarray(Image.open(f"{d}/c.jpg").convert("RGB")).reshape(-1).tolist()}))
`, [dir]);
  const g16 = await decodeFile(path.join(dir, 'g16.tif'));
  assert.equal(g16.bitDepth, 16);
  assert.equal(g16.channels, 1);
  assert.deepEqual(Array.from(g16.data.subarray(0, 4)), [0, 5000, 10000, 15000]);
  assert.equal(g16.data[12], 100, 'second row starts at 100');
  const g8 = await decodeFile(path.join(dir, 'g8.tif'));
  assert.equal(g8.bitDepth, 8);
  assert.deepEqual(Array.from(g8.data.subarray(0, 3)), [0, 20, 40]);
  const jpg = await decodeFile(path.join(dir, 'c.jpg'));
  assert.equal(jpg.channels, 3);
  const maxDiff = Math.max(...Array.from(jpg.data, (v, i) => Math.abs(v - expected.jpeg[i])));
  assert.ok(maxDiff <= 3, `JPEG within 3 grey levels of PIL (max diff ${maxDiff})`);
});

test('the format comes from the content: a PNG named .tif decodes; a text file named .png is named as text', async () => {
  const dir = tmpDir();
  const png = path.join(dir, 'really-a-png.tif');
  await writeImage(png, gradient(5, 4), 5, 4, 1);
  assert.equal((await decodeFile(png)).width, 5);
  const txt = path.join(dir, '017.png');
  fs.writeFileSync(txt, 'ID;pattern\n1;homogeneous\n');
  await assert.rejects(decodeFile(txt), (e: Error) => e.message.includes(txt) && /is not an image \(text starting with "ID;pattern/.test(e.message));
});

test('empty, truncated, corrupt and missing files are errors that name the file', async () => {
  const dir = tmpDir();
  const good = path.join(dir, 'good.png');
  await writeImage(good, gradient(30, 30), 30, 30, 1);
  const bytes = fs.readFileSync(good);
  const empty = path.join(dir, 'empty.png');
  fs.writeFileSync(empty, '');
  const truncated = path.join(dir, 'truncated.png');
  fs.writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
  const corrupt = path.join(dir, 'corrupt.png');
  const c = Buffer.from(bytes);
  const idat = c.indexOf('IDAT');
  for (let i = idat + 6; i < idat + 30; i++) c[i] ^= 0x5a;
  fs.writeFileSync(corrupt, c);
  await assert.rejects(decodeFile(empty), new RegExp(`${empty}: file is empty \\(0 bytes\\)`));
  await assert.rejects(decodeFile(truncated), new RegExp(`${truncated}: PNG file is truncated`));
  await assert.rejects(decodeFile(corrupt), new RegExp(`${corrupt}: PNG image data is corrupt`));
  await assert.rejects(decodeFile(path.join(dir, 'gone.png')), /gone\.png: file is missing/);
});
