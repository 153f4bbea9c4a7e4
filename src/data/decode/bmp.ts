// A small BMP decoder: sharp reads no BMP, and ICPR 2012's full images and
// ROI masks are BMPs. Handles what microscopy software writes: 1/4/8-bit
// palette, 16-bit (555 or bit fields), 24-bit, 32-bit (BI_RGB or bit fields),
// bottom-up or top-down rows. RLE-compressed files are refused with a hint.
import { DecodeError, type RawImage } from './raw-image';

export function isBmp(buf: Uint8Array): boolean {
  return buf.length >= 2 && buf[0] === 0x42 && buf[1] === 0x4d;
}

/** Shift and width of a contiguous bit-field mask, to scale a field to 0..255. */
function field(mask: number): { shift: number; max: number } {
  if (mask === 0) return { shift: 0, max: 0 };
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  return { shift, max: mask >>> shift };
}

export function decodeBmp(buf: Uint8Array, file: string): RawImage {
  if (!isBmp(buf)) throw new DecodeError(file, 'is not a BMP file (no "BM" signature)');
  if (buf.length < 26) throw new DecodeError(file, 'BMP header is truncated: the file is damaged');
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const dataOffset = v.getUint32(10, true);
  const headerSize = v.getUint32(14, true);
  let width: number, height: number, bpp: number, compression = 0, paletteSize = 0;
  if (headerSize === 12) {
    width = v.getUint16(18, true);
    height = v.getInt16(20, true);
    bpp = v.getUint16(24, true);
  } else {
    if (buf.length < 54) throw new DecodeError(file, 'BMP header is truncated: the file is damaged');
    width = v.getInt32(18, true);
    height = v.getInt32(22, true);
    bpp = v.getUint16(28, true);
    compression = v.getUint32(30, true);
    paletteSize = v.getUint32(46, true);
  }
  const topDown = height < 0;
  height = Math.abs(height);
  if (width <= 0 || height === 0) throw new DecodeError(file, `BMP size ${width}x${height} is invalid: the file is damaged`);
  if (compression === 1 || compression === 2) {
    throw new DecodeError(file, 'RLE-compressed BMP is not supported: convert it to PNG (e.g. `convert in.bmp out.png`) or save it uncompressed');
  }
  if (compression !== 0 && compression !== 3 && compression !== 6) {
    throw new DecodeError(file, `BMP compression ${compression} is not supported (only uncompressed or bit fields): convert it to PNG`);
  }
  // Bit-field masks follow a 40-byte header (BI_BITFIELDS) or sit inside V4/V5 headers.
  let masks = bpp === 16 ? [0x7c00, 0x03e0, 0x001f] : [0xff0000, 0x00ff00, 0x0000ff];
  if (compression === 3 || compression === 6) {
    masks = [v.getUint32(54, true), v.getUint32(58, true), v.getUint32(62, true)];
  }

  const stride = Math.floor((width * bpp + 31) / 32) * 4;
  if (dataOffset + stride * height > buf.length) {
    throw new DecodeError(file, `BMP pixel data is truncated (${buf.length - dataOffset} of ${stride * height} bytes): the file is damaged; re-export or remove it`);
  }
  const n = width * height;
  const rowStart = (y: number) => dataOffset + (topDown ? y : height - 1 - y) * stride;

  if (bpp <= 8) {
    const entrySize = headerSize === 12 ? 3 : 4;
    const entries = paletteSize || 1 << bpp;
    const palStart = 14 + headerSize + (compression === 3 && headerSize === 40 ? 12 : 0);
    const pal: number[][] = [];
    for (let e = 0; e < entries; e++) {
      const p = palStart + e * entrySize;
      pal.push([buf[p + 2], buf[p + 1], buf[p]]);
    }
    const grey = pal.every(([r, g, b]) => r === g && g === b);
    const out = new Uint8Array(n * (grey ? 1 : 3));
    const bitMask = (1 << bpp) - 1;
    for (let y = 0; y < height; y++) {
      const row = rowStart(y);
      for (let x = 0; x < width; x++) {
        const bit = x * bpp;
        const e = (buf[row + (bit >> 3)] >> (8 - bpp - (bit & 7))) & bitMask;
        const c = pal[e] ?? [0, 0, 0];
        const i = y * width + x;
        if (grey) out[i] = c[0];
        else { out[3 * i] = c[0]; out[3 * i + 1] = c[1]; out[3 * i + 2] = c[2]; }
      }
    }
    return { data: out, width, height, channels: grey ? 1 : 3, bitDepth: 8 };
  }

  const out = new Uint8Array(n * 3);
  if (bpp === 24) {
    for (let y = 0; y < height; y++) {
      const row = rowStart(y);
      for (let x = 0; x < width; x++) {
        const p = row + 3 * x, i = 3 * (y * width + x);
        out[i] = buf[p + 2]; out[i + 1] = buf[p + 1]; out[i + 2] = buf[p];
      }
    }
    return { data: out, width, height, channels: 3, bitDepth: 8 };
  }
  if (bpp !== 16 && bpp !== 32) throw new DecodeError(file, `BMP with ${bpp} bits per pixel is not supported: convert it to PNG`);
  const fields = masks.map(field);
  for (let y = 0; y < height; y++) {
    const row = rowStart(y);
    for (let x = 0; x < width; x++) {
      const px = bpp === 16 ? v.getUint16(row + 2 * x, true) : v.getUint32(row + 4 * x, true);
      const i = 3 * (y * width + x);
      for (let c = 0; c < 3; c++) {
        const f = fields[c];
        out[i + c] = f.max ? Math.round((((px & masks[c]) >>> 0) >>> f.shift) * 255 / f.max) : 0;
      }
    }
  }
  return { data: out, width, height, channels: 3, bitDepth: 8 };
}
