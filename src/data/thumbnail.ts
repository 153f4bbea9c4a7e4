// A small picture of one item for galleries: decoded, channels selected and resized
// as the model sees it (no contrast stretch: a dim cell looks dim), with its mask
// outlined in yellow, or applied (outside set to 0), or left out.
import sharp from 'sharp';
import type { ImageConfig } from './schema';
import type { DatasetItem } from './types';
import { prepareImage } from './image';
import { decodeFile, DecodeError } from './decode/index';
import { maskBits } from './preprocess/mask';
import { resizeSquare } from './preprocess/resize';

export type MaskStyle = 'outline' | 'apply' | 'none';

export interface ThumbnailOptions {
  /** Edge in px (default 96). */
  size?: number;
  channels?: ImageConfig['channels'];
  resize?: ImageConfig['resize'];
  /** Default: `outline` when the item has a mask. */
  mask?: MaskStyle | boolean;
}

/** 8-bit pixels, grey (1) or RGB (3), size x size. */
export interface ThumbnailPixels {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3;
}

const OUTLINE: [number, number, number] = [255, 214, 0];

function maskStyle(item: DatasetItem, o: ThumbnailOptions): MaskStyle {
  const m = o.mask === true ? 'outline' : o.mask === false ? 'none' : o.mask ?? (item.maskPath ? 'outline' : 'none');
  if (m !== 'none' && !item.maskPath) throw new DecodeError(item.path, `has no mask, so it cannot be shown with mask: ${m}; use mask: 'none'`);
  return m;
}

/** Default channels: RGB for items with one file per colour, grey otherwise. */
function defaultChannels(item: DatasetItem): ImageConfig['channels'] {
  return item.channelPaths ? 'rgb' : 'gray';
}

/** Pixels of the border of a binary mask (inside, with a 4-neighbour outside or on the edge). */
export function maskOutline(bits: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      if (!bits[i]) continue;
      if (x === 0 || y === 0 || x === size - 1 || y === size - 1 || !bits[i - 1] || !bits[i + 1] || !bits[i - size] || !bits[i + size]) out[i] = 1;
    }
  }
  return out;
}

/** The item's mask at thumbnail geometry (same resize as the image), as 0/1. */
async function maskAt(item: DatasetItem, size: number, resize: ImageConfig['resize']): Promise<Uint8Array> {
  const raw = await decodeFile(item.maskPath!);
  const bits = maskBits(raw);
  const scaled = resizeSquare(Uint8Array.from(bits, (b) => b * 255), raw.width, raw.height, 1, size, resize, 255);
  return Uint8Array.from(scaled, (v) => (v > 127 ? 1 : 0));
}

export async function thumbnailPixels(item: DatasetItem, o: ThumbnailOptions = {}): Promise<ThumbnailPixels> {
  const size = o.size ?? 96;
  const resize = o.resize ?? 'pad';
  const style = maskStyle(item, o);
  const channels = o.channels ?? defaultChannels(item);
  const p = await prepareImage(item, { size, resize, channels, mask: style === 'apply' });
  const c = channels === 'rgb' ? 3 : 1;
  const data = p.bitDepth === 16 ? Uint8Array.from(p.pixels, (v) => v >> 8) : Uint8Array.from(p.pixels);
  if (style !== 'outline') return { data, width: size, height: size, channels: c };
  const edge = maskOutline(await maskAt(item, size, resize), size);
  const rgb = new Uint8Array(size * size * 3);
  for (let i = 0; i < size * size; i++) {
    for (let k = 0; k < 3; k++) rgb[3 * i + k] = edge[i] ? OUTLINE[k] : data[c === 3 ? 3 * i + k : i];
  }
  return { data: rgb, width: size, height: size, channels: 3 };
}

export async function pixelsPng(p: ThumbnailPixels): Promise<Buffer> {
  // Without b-w, sharp writes one-channel input as RGB.
  return sharp(Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength), { raw: { width: p.width, height: p.height, channels: p.channels } })
    .toColourspace(p.channels === 1 ? 'b-w' : 'srgb').png().toBuffer();
}

/** The thumbnail as PNG. */
export async function thumbnailPng(item: DatasetItem, o: ThumbnailOptions = {}): Promise<Buffer> {
  return pixelsPng(await thumbnailPixels(item, o));
}
