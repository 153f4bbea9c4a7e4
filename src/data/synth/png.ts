// 8-bit greyscale PNG encoding with node:zlib. sharp costs ~1 ms per call on
// these 60-100 px crops (libvips pipeline set-up), ten times the deflate
// itself, which made writing 2,910 files the slowest part of generation.
// This writer is deterministic by construction: fixed filter (none), fixed
// zlib level, no timestamps or metadata chunks. sharp (and any PNG reader)
// decodes it; the tests check that.
import * as zlib from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(zlib.crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

export function encodeGreyPng(pixels: Uint8Array, width: number, height: number, what: string): Buffer {
  if (pixels.length !== width * height) {
    throw new Error(`encoding ${what}: ${pixels.length} pixels do not make a ${width}x${height} grey image`);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // colour type: greyscale
  // bytes 10-12: compression 0, filter method 0, no interlace
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0; // filter type: none
    raw.set(pixels.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
  }
  const idat = zlib.deflateSync(raw, { level: 6 });
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}
