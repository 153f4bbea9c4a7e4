// A small PNG decoder (non-interlaced, every colour type and bit depth).
// Small cell crops are the common case: one sharp call costs more than the
// whole decode here (zlib is native), which is what makes preprocessing
// faster than PIL. Interlaced files return undefined and go to sharp.
import * as zlib from 'node:zlib';
import { DecodeError, type RawImage } from './raw-image';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function isPng(buf: Uint8Array): boolean {
  return buf.length >= 8 && SIGNATURE.every((b, i) => buf[i] === b);
}

/** Samples per pixel of each PNG colour type. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Undo the per-scanline filters in place; returns the raw scanlines without filter bytes. */
function unfilter(file: string, data: Uint8Array, height: number, stride: number, bpp: number): Uint8Array {
  const out = new Uint8Array(height * stride);
  if (data.length < height * (stride + 1)) {
    throw new DecodeError(file, `PNG data is truncated (${data.length} of ${height * (stride + 1)} bytes): the file is damaged; re-export or remove it`);
  }
  for (let y = 0; y < height; y++) {
    const type = data[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const prev = row - stride;
    switch (type) {
      case 0:
        out.set(data.subarray(src, src + stride), row);
        break;
      case 1:
        for (let i = 0; i < stride; i++) out[row + i] = (data[src + i] + (i >= bpp ? out[row + i - bpp] : 0)) & 255;
        break;
      case 2:
        for (let i = 0; i < stride; i++) out[row + i] = (data[src + i] + (y > 0 ? out[prev + i] : 0)) & 255;
        break;
      case 3:
        for (let i = 0; i < stride; i++) {
          const a = i >= bpp ? out[row + i - bpp] : 0;
          const b = y > 0 ? out[prev + i] : 0;
          out[row + i] = (data[src + i] + ((a + b) >> 1)) & 255;
        }
        break;
      case 4:
        for (let i = 0; i < stride; i++) {
          const a = i >= bpp ? out[row + i - bpp] : 0;
          const b = y > 0 ? out[prev + i] : 0;
          const c = y > 0 && i >= bpp ? out[prev + i - bpp] : 0;
          out[row + i] = (data[src + i] + paeth(a, b, c)) & 255;
        }
        break;
      default:
        throw new DecodeError(file, `PNG scanline ${y} has an unknown filter type ${type}: the file is damaged`);
    }
  }
  return out;
}

/** Decode a PNG held in `buf`. Returns undefined for interlaced files (decode those with sharp). */
export function decodePng(buf: Uint8Array, file: string): RawImage | undefined {
  if (!isPng(buf)) throw new DecodeError(file, 'is not a PNG file (no PNG signature)');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 8;
  let width = 0, height = 0, depth = 0, colour = -1, interlace = 0;
  let palette: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (pos + 8 <= buf.length) {
    const len = view.getUint32(pos);
    const type = String.fromCharCode(buf[pos + 4], buf[pos + 5], buf[pos + 6], buf[pos + 7]);
    const start = pos + 8;
    if (start + len > buf.length) break;
    const body = buf.subarray(start, start + len);
    if (type === 'IHDR') {
      width = view.getUint32(start);
      height = view.getUint32(start + 4);
      depth = body[8];
      colour = body[9];
      interlace = body[12];
    } else if (type === 'PLTE') palette = body;
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') { ended = true; break; }
    pos = start + len + 4;
  }
  if (width === 0 || height === 0 || !(colour in CHANNELS)) {
    throw new DecodeError(file, 'PNG header (IHDR) is missing or invalid: the file is damaged or truncated');
  }
  if (!ended) throw new DecodeError(file, 'PNG file is truncated (no IEND chunk): re-export or remove it');
  if (interlace !== 0) return undefined;
  if (colour === 3 && !palette) throw new DecodeError(file, 'palette PNG without a PLTE chunk: the file is damaged');
  let inflated: Uint8Array;
  try {
    inflated = zlib.inflateSync(idat.length === 1 ? idat[0] : Buffer.concat(idat));
  } catch (err) {
    throw new DecodeError(file, `PNG image data is corrupt (${(err as Error).message}): the file is damaged; re-export or remove it`);
  }
  const samples = CHANNELS[colour];
  const bitsPerPixel = samples * depth;
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const lines = unfilter(file, inflated, height, stride, bpp);
  const n = width * height;

  if (depth === 16) {
    const data = new Uint16Array(n * samples);
    for (let y = 0; y < height; y++) {
      for (let i = 0; i < width * samples; i++) {
        const p = y * stride + 2 * i;
        data[y * width * samples + i] = (lines[p] << 8) | lines[p + 1];
      }
    }
    return { data, width, height, channels: samples, bitDepth: 16 };
  }
  if (depth === 8 && colour !== 3) return { data: lines.length === n * samples ? lines : lines.slice(0, n * samples), width, height, channels: samples, bitDepth: 8 };

  // 1, 2, 4 bit grey or palette, and 8-bit palette: unpack to one byte per sample.
  const mask = (1 << depth) - 1;
  const idx = new Uint8Array(n);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const bit = x * depth;
      idx[y * width + x] = (lines[y * stride + (bit >> 3)] >> (8 - depth - (bit & 7))) & mask;
    }
  }
  if (colour === 0) {
    const scale = 255 / mask;
    for (let i = 0; i < n; i++) idx[i] = Math.round(idx[i] * scale);
    return { data: idx, width, height, channels: 1, bitDepth: 8 };
  }
  const pal = palette!;
  const entries = Math.floor(pal.length / 3);
  let grey = true;
  for (let e = 0; e < entries && grey; e++) grey = pal[3 * e] === pal[3 * e + 1] && pal[3 * e] === pal[3 * e + 2];
  const out = new Uint8Array(n * (grey ? 1 : 3));
  for (let i = 0; i < n; i++) {
    const e = idx[i];
    if (e >= entries) throw new DecodeError(file, `palette index ${e} is outside the ${entries}-colour palette: the file is damaged`);
    if (grey) out[i] = pal[3 * e];
    else { out[3 * i] = pal[3 * e]; out[3 * i + 1] = pal[3 * e + 1]; out[3 * i + 2] = pal[3 * e + 2]; }
  }
  return { data: out, width, height, channels: grey ? 1 : 3, bitDepth: 8 };
}
