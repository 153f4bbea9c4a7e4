import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeBmp } from '../../../src/data/decode/bmp';
import { python, tmpDir } from '../helpers';

// PIL writes BMPs the way microscopy software does (1-bit, 8-bit grey and
// colour palettes, 24-bit, 32-bit) and reports what it reads back.
const WRITE_BMPS = `
import sys, json, numpy as np
from PIL import Image
d = sys.argv[1]
h, w = 9, 14
y, x = np.mgrid[0:h, 0:w]
base = ((x * 17 + y * 29) % 256).astype(np.uint8)
rgb = np.stack([base, (base * 5) % 256, 255 - base], -1).astype(np.uint8)
out = {}
def save(name, im, expect):
    im.save(f"{d}/{name}.bmp")
    a = np.asarray(expect)
    out[name] = {"channels": 1 if a.ndim == 2 else a.shape[2], "data": a.reshape(-1).tolist()}
bw = Image.fromarray(base > 120)
save("1bit", bw, bw.convert("L"))
save("8bit_grey", Image.fromarray(base), Image.fromarray(base))
pal = Image.fromarray(rgb).quantize(colors=32)
save("8bit_palette", pal, pal.convert("RGB"))
save("24bit", Image.fromarray(rgb), Image.fromarray(rgb))
save("32bit", Image.fromarray(np.dstack([rgb, base]).astype(np.uint8), "RGBA"), Image.fromarray(rgb))
print(json.dumps(out))
`;

test('decodes 1-bit, 8-bit grey and colour palette, 24-bit and 32-bit BMPs as PIL reads them', () => {
  const dir = tmpDir();
  const expected = python<Record<string, { channels: number; data: number[] }>>(WRITE_BMPS, [dir]);
  for (const [name, e] of Object.entries(expected)) {
    const file = path.join(dir, `${name}.bmp`);
    const raw = decodeBmp(fs.readFileSync(file), file);
    assert.equal(raw.width, 14, name);
    assert.equal(raw.height, 9, name);
    assert.equal(raw.channels, e.channels, `${name} channels`);
    assert.deepEqual(Array.from(raw.data), e.data, `${name} pixels`);
  }
});

test('reads top-down BMPs (negative height) in the right row order', () => {
  const dir = tmpDir();
  const expected = python<Record<string, { data: number[] }>>(WRITE_BMPS, [dir]);
  const buf = Buffer.from(fs.readFileSync(path.join(dir, '24bit.bmp')));
  const off = buf.readUInt32LE(10), height = buf.readInt32LE(22), width = buf.readInt32LE(18);
  const stride = Math.ceil((width * 3) / 4) * 4;
  const rows = Array.from({ length: height }, (_, y) => Buffer.from(buf.subarray(off + y * stride, off + (y + 1) * stride)));
  rows.reverse().forEach((r, y) => r.copy(buf, off + y * stride));
  buf.writeInt32LE(-height, 22);
  const raw = decodeBmp(buf, 'topdown.bmp');
  assert.deepEqual(Array.from(raw.data), expected['24bit'].data);
});

test('RLE-compressed and truncated BMPs are refused with the file named and what to do', () => {
  const dir = tmpDir();
  python(WRITE_BMPS, [dir]);
  const buf = Buffer.from(fs.readFileSync(path.join(dir, '8bit_grey.bmp')));
  const rle = Buffer.from(buf);
  rle.writeUInt32LE(1, 30);
  assert.throws(() => decodeBmp(rle, 'cells/07.bmp'), /cells\/07\.bmp: RLE-compressed BMP is not supported: convert it to PNG/);
  assert.throws(() => decodeBmp(buf.subarray(0, buf.length - 40), 'cells/08.bmp'), /cells\/08\.bmp: BMP pixel data is truncated/);
});
