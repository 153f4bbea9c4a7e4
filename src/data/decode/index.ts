// Decode any supported image file into a RawImage. The format is read from
// the file's first bytes, not its name (a text file named .png is reported as
// such). PNG and BMP are decoded here; JPEG, TIFF (8/16 bit), WebP, GIF and
// interlaced PNG go through sharp.
import * as fs from 'node:fs';
import type Sharp from 'sharp';
import { decodeBmp, isBmp } from './bmp';
import { decodePng, isPng } from './png';
import { DecodeError, type RawImage } from './raw-image';

export { DecodeError, maxSample } from './raw-image';
export type { RawImage } from './raw-image';
export { decodePng } from './png';
export { decodeBmp } from './bmp';

type Format = 'png' | 'bmp' | 'jpeg' | 'tiff' | 'webp' | 'gif';

export function sniffFormat(buf: Uint8Array): Format | undefined {
  if (isPng(buf)) return 'png';
  if (isBmp(buf)) return 'bmp';
  if (buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'jpeg';
  if ((buf[0] === 0x49 && buf[1] === 0x49 && buf[2] === 0x2a && buf[3] === 0) || (buf[0] === 0x4d && buf[1] === 0x4d && buf[2] === 0 && buf[3] === 0x2a)) return 'tiff';
  if (buf.length >= 12 && String.fromCharCode(...buf.subarray(0, 4)) === 'RIFF' && String.fromCharCode(...buf.subarray(8, 12)) === 'WEBP') return 'webp';
  if (String.fromCharCode(...buf.subarray(0, 4)) === 'GIF8') return 'gif';
  return undefined;
}

/** What a non-image file looks like, for the error message. */
function describeStart(buf: Uint8Array): string {
  const head = buf.subarray(0, 24);
  const printable = head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127));
  if (printable) return `text starting with ${JSON.stringify(Buffer.from(head).toString('latin1'))}`;
  return `bytes ${Buffer.from(head.subarray(0, 8)).toString('hex')}`;
}

function readFile(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new DecodeError(file, 'file is missing: restore it or remove its row from the manifest');
    throw new DecodeError(file, `cannot read the file (${e.code ?? e.message})`);
  }
}

/** sharp (libvips) loads on first use: ~0.2 s that PNG/BMP sets, and every image-preparing worker thread, never pay. */
let sharpModule: typeof Sharp | undefined;
function loadSharp(): typeof Sharp {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  sharpModule ??= require('sharp') as typeof Sharp;
  return sharpModule;
}

async function decodeWithSharp(buf: Buffer, file: string, format: string): Promise<RawImage> {
  try {
    const sharp = loadSharp();
    const meta = await sharp(buf).metadata();
    const sixteen = meta.depth === 'ushort';
    const colour = (meta.channels ?? 1) >= 3;
    // Keep grey as grey and 16 bit as 16 bit (sharp would otherwise convert to 8-bit sRGB).
    const space = colour ? (sixteen ? 'rgb16' : 'srgb') : sixteen ? 'grey16' : 'b-w';
    const { data, info } = await sharp(buf)
      .toColourspace(space)
      .raw({ depth: sixteen ? 'ushort' : 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const samples = sixteen ? new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2).slice() : new Uint8Array(data);
    return { data: samples, width: info.width, height: info.height, channels: info.channels, bitDepth: sixteen ? 16 : 8 };
  } catch (err) {
    throw new DecodeError(file, `cannot decode this ${format.toUpperCase()} (sharp: ${(err as Error).message}): the file is damaged or truncated; re-export or remove it`);
  }
}

/** Decode bytes already read from `file` (the name is for messages only). */
export async function decodeBuffer(buf: Buffer, file: string): Promise<RawImage> {
  if (buf.length === 0) throw new DecodeError(file, 'file is empty (0 bytes): re-export it or remove it');
  const format = sniffFormat(buf);
  if (!format) {
    throw new DecodeError(file, `is not an image (${describeStart(buf)}); expected PNG, TIFF, JPEG or BMP content`);
  }
  if (format === 'png') return decodePng(buf, file) ?? decodeWithSharp(buf, file, format);
  if (format === 'bmp') return decodeBmp(buf, file);
  return decodeWithSharp(buf, file, format);
}

export async function decodeFile(file: string): Promise<RawImage> {
  return decodeBuffer(readFile(file), file);
}
