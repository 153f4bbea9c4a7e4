import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import sharp from 'sharp';
import { decodePng } from '../../../src/data/decode/png';
import { decodeFile } from '../../../src/data/decode/index';
import { gradient, python, tmpDir } from '../helpers';

// PIL writes one file per mode and reports the pixels it reads back
// (palette and 1-bit as the grey/RGB values they stand for).
const WRITE_MODES = `
import sys, json, numpy as np
from PIL import Image
d = sys.argv[1]
h, w = 7, 13
y, x = np.mgrid[0:h, 0:w]
base = ((x * 19 + y * 23) % 256).astype(np.uint8)
rgb = np.stack([base, (base * 3) % 256, 255 - base], -1).astype(np.uint8)
out = {}
def save(name, im, expect):
    im.save(f"{d}/{name}.png")
    a = np.asarray(expect)
    out[name] = {"shape": list(a.shape), "data": a.reshape(-1).tolist()}
save("L", Image.fromarray(base), Image.fromarray(base))
save("RGB", Image.fromarray(rgb), Image.fromarray(rgb))
rgba = np.dstack([rgb, base]).astype(np.uint8)
save("RGBA", Image.fromarray(rgba, "RGBA"), Image.fromarray(rgba, "RGBA"))
la = Image.fromarray(np.dstack([base, 255 - base]).astype(np.uint8), "LA")
save("LA", la, la)
g16 = (x * 4000 + y * 1000).astype(np.uint16)
save("I16", Image.fromarray(g16), g16)
pal = Image.fromarray(rgb).quantize(colors=16)
save("P", pal, pal.convert("RGB"))
bw = Image.fromarray(base > 100)
save("1", bw, bw.convert("L"))
print(json.dumps(out))
`;

test('decodes 8-bit grey, RGB, RGBA, grey+alpha, 16-bit grey, palette and 1-bit PNGs exactly as PIL reads them', () => {
  const dir = tmpDir();
  const expected = python<Record<string, { shape: number[]; data: number[] }>>(WRITE_MODES, [dir]);
  const channels: Record<string, number> = { L: 1, RGB: 3, RGBA: 4, LA: 2, I16: 1, P: 3, '1': 1 };
  for (const [name, e] of Object.entries(expected)) {
    const raw = decodePng(fs.readFileSync(path.join(dir, `${name}.png`)), name)!;
    assert.ok(raw, `${name} decoded`);
    assert.equal(raw.width, 13, name);
    assert.equal(raw.height, 7, name);
    assert.equal(raw.channels, channels[name], `${name} channels`);
    assert.equal(raw.bitDepth, name === 'I16' ? 16 : 8, `${name} bit depth`);
    assert.deepEqual(Array.from(raw.data), e.data, `${name} pixels`);
  }
});

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function chunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  let crc = 0xffffffff;
  for (const b of Buffer.concat([head.subarray(4), body])) crc = CRC_TABLE[(crc ^ b) & 255] ^ (crc >>> 8);
  const tail = Buffer.alloc(4);
  tail.writeUInt32BE((crc ^ 0xffffffff) >>> 0, 0);
  return Buffer.concat([head, body, tail]);
}

/** An RGB PNG whose row y uses filter type y % 5 (none, sub, up, average, paeth), written by hand. */
function pngWithEveryFilter(px: Uint8Array, w: number, h: number): Buffer {
  const bpp = 3, stride = w * bpp;
  const raw = Buffer.alloc(h * (stride + 1));
  const paeth = (a: number, b: number, c: number) => {
    const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
  };
  for (let y = 0; y < h; y++) {
    const f = y % 5;
    raw[y * (stride + 1)] = f;
    for (let i = 0; i < stride; i++) {
      const x = px[y * stride + i];
      const a = i >= bpp ? px[y * stride + i - bpp] : 0;
      const b = y > 0 ? px[(y - 1) * stride + i] : 0;
      const c = y > 0 && i >= bpp ? px[(y - 1) * stride + i - bpp] : 0;
      const pred = [0, a, b, (a + b) >> 1, paeth(a, b, c)][f];
      raw[y * (stride + 1) + 1 + i] = (x - pred) & 255;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; ihdr[9] = 2;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

test('undoes all five PNG row filters (a file using each; sharp decodes it to the same pixels)', async () => {
  const w = 17, h = 15;
  const px = gradient(w, h, 3).map((v, i) => (v + ((i * 2654435761) >>> 27)) % 256);
  const file = path.join(tmpDir(), 'filters.png');
  fs.writeFileSync(file, pngWithEveryFilter(px, w, h));
  const raw = decodePng(fs.readFileSync(file), file)!;
  assert.deepEqual(Array.from(raw.data), Array.from(px));
  assert.deepEqual(Buffer.from(raw.data), await sharp(file).raw().toBuffer(), 'sharp (libspng) agrees');
});

test('interlaced PNGs are left to sharp and decode to the same pixels', async () => {
  const dir = tmpDir();
  const px = gradient(20, 11, 1);
  const plain = path.join(dir, 'plain.png'), inter = path.join(dir, 'inter.png');
  const grey = () => sharp(Buffer.from(px), { raw: { width: 20, height: 11, channels: 1 } }).toColourspace('b-w');
  await grey().png().toFile(plain);
  await grey().png({ progressive: true }).toFile(inter);
  assert.equal(decodePng(fs.readFileSync(inter), inter), undefined, 'interlaced: not decoded here');
  const a = await decodeFile(plain), b = await decodeFile(inter);
  assert.deepEqual(Array.from(b.data), Array.from(a.data));
  assert.deepEqual(Array.from(a.data), Array.from(px));
});
