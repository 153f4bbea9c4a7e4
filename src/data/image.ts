// One item's model input: decode, select channels, mask, resize to a square.
// Pixels stay integers (8 or 16 bit) so the cache and memory hold 1-2 bytes
// per sample; scaling to 0..1 and normalisation happen per batch.
import type { ImageConfig } from './schema';
import type { DatasetItem } from './types';
import { decodeFile, DecodeError, maxSample, type RawImage } from './decode/index';
import { channelCount, channelProblem, describeChannels, interleavePlanes, selectChannels, stainList } from './preprocess/channels';
import { applyMask as maskPixels, maskBits, selectMasked8 } from './preprocess/mask';
import { resizeSquare } from './preprocess/resize';

export { channelCount } from './preprocess/channels';

export interface PreparedImage {
  /** size x size x channels samples. */
  pixels: Uint8Array | Uint16Array;
  bitDepth: 8 | 16;
  /** Mean intensity inside the mask (whole image without one), 0..1, at full resolution. */
  mean: number;
  /** Source size before resizing. */
  width: number;
  height: number;
}

/** What preparing an item reads (worker threads get only this). */
export type ImageItem = Pick<DatasetItem, 'path' | 'maskPath' | 'crop' | 'channelPaths'> & Partial<DatasetItem>;

/** The preprocessing settings that change a prepared image (the cache key uses exactly these). */
export function preprocessingKey(cfg: ImageConfig): Pick<ImageConfig, 'size' | 'resize' | 'channels' | 'mask'> {
  return { size: cfg.size, resize: cfg.resize, channels: cfg.channels, mask: cfg.mask };
}

/**
 * HPA-style items keep one grey file per stain; compose the configured channels from them.
 * Each plane keeps its file's range: an 8-bit plane next to a 16-bit one is scaled by 257,
 * so every channel reads 0..1 of its own file's range (16-bit TIFFs keep their precision).
 */
async function decodeChannelFiles(item: ImageItem, cfg: ImageConfig): Promise<{ raw: RawImage; pixels: Uint8Array | Uint16Array }> {
  const files = item.channelPaths!;
  const want = stainList(cfg.channels) ?? ['green'];
  const raws: RawImage[] = [];
  for (const c of want) {
    const f = files[c];
    if (!f) throw new DecodeError(item.path, `image.channels is ${describeChannels(cfg.channels)} but the item has no ${c} channel file (dataset.channelFiles.${c})`);
    raws.push(await decodeFile(f));
  }
  const first = raws[0];
  raws.forEach((r, k) => {
    if (r.width !== first.width || r.height !== first.height) {
      throw new DecodeError(files[want[k]]!, `is ${r.width}x${r.height} but ${files[want[0]]} is ${first.width}x${first.height}: channel files of one image must have the same size`);
    }
  });
  const depth = raws.some((r) => r.bitDepth === 16) ? 16 : 8;
  const planes = raws.map((r) => {
    const grey = selectChannels(r, 'gray');
    if (r.bitDepth === depth) return grey;
    return Uint16Array.from(grey, (v) => v * 257);
  });
  return { raw: first, pixels: planes.length === 1 ? planes[0] : interleavePlanes(planes, depth) };
}

/**
 * Decode, mask, resize. Throws DecodeError naming the offending file (corrupt,
 * empty, not an image, missing, mask size mismatch, empty mask).
 */
export async function prepareImage(item: ImageItem, cfg: ImageConfig): Promise<PreparedImage> {
  let raw: RawImage;
  let pixels: Uint8Array | Uint16Array | undefined;
  if (item.channelPaths) {
    ({ raw, pixels } = await decodeChannelFiles(item, cfg));
    raw = { ...raw, bitDepth: pixels.BYTES_PER_ELEMENT === 2 ? 16 : 8 };
  } else {
    raw = await decodeFile(item.path);
    const why = channelProblem(raw, cfg.channels);
    if (why) throw new DecodeError(item.path, why);
  }
  const c = channelCount(cfg.channels);
  const max = maxSample(raw.bitDepth);
  let mask: RawImage | undefined;
  if (cfg.mask) {
    if (!item.maskPath) throw new DecodeError(item.path, 'has no mask but image.mask is true: add its mask or set image.mask: false');
    mask = await decodeFile(item.maskPath);
    if (mask.width !== raw.width || mask.height !== raw.height) {
      throw new DecodeError(item.path, `is ${raw.width}x${raw.height} but its mask ${item.maskPath} is ${mask.width}x${mask.height}: an image and its mask must have the same size`);
    }
  }
  if (item.crop) {
    ({ raw, pixels, mask } = await cropItem(item, raw, pixels ?? selectChannels(raw, cfg.channels), c, mask));
  }
  let mean: number;
  const one = cfg.channels;
  if (mask && !pixels && typeof one === 'string' && one !== 'rgb' && one !== 'yellow' && raw.bitDepth === 8 && mask.bitDepth === 8) {
    ({ pixels, mean } = selectMasked8(raw, one, mask));
  } else {
    pixels ??= selectChannels(raw, cfg.channels);
    // A stain list's mean intensity is its first stain's (the protein in [green, red, blue, yellow]).
    mean = maskPixels(pixels, c, mask ? maskBits(mask) : undefined, max, Array.isArray(cfg.channels) ? 0 : undefined);
  }
  if (Number.isNaN(mean)) throw new DecodeError(item.maskPath ?? item.path, `mask of ${item.path} is empty (no pixel above half intensity): fix the mask or remove the item`);
  const out = resizeSquare(pixels, raw.width, raw.height, c, cfg.size, cfg.resize, max);
  return { pixels: out, bitDepth: raw.bitDepth, mean, width: raw.width, height: raw.height };
}

/** A cell crop of a field image (its mask cropped alike); with a segmentation, other cells' pixels zeroed. */
async function cropItem(item: ImageItem, raw: RawImage, pixels: Uint8Array | Uint16Array, c: number, mask: RawImage | undefined):
  Promise<{ raw: RawImage; pixels: Uint8Array | Uint16Array; mask?: RawImage }> {
  const { x, y, width: w, height: h } = item.crop!;
  if (x < 0 || y < 0 || x + w > raw.width || y + h > raw.height || w < 1 || h < 1) {
    throw new DecodeError(item.path, `cell crop ${w}x${h}+${x}+${y} lies outside the ${raw.width}x${raw.height} image: the field image changed since its cells were found; clear the cell cache`);
  }
  const out = cropInterleaved(pixels, raw.width, c, x, y, w, h);
  if (item.crop!.cell !== undefined && item.crop!.segmentation) {
    const seg = await decodeFile(item.crop!.segmentation);
    if (seg.width !== raw.width || seg.height !== raw.height) {
      throw new DecodeError(item.crop!.segmentation, `is ${seg.width}x${seg.height} but its image ${item.path} is ${raw.width}x${raw.height}: a segmentation must have the image's size`);
    }
    const cell = item.crop!.cell;
    for (let yy = 0; yy < h; yy++) {
      for (let xx = 0; xx < w; xx++) {
        if (seg.data[((y + yy) * seg.width + x + xx) * seg.channels] !== cell) out.fill(0, (yy * w + xx) * c, (yy * w + xx + 1) * c);
      }
    }
  }
  const croppedMask = mask ? { ...mask, data: cropInterleaved(mask.data, mask.width, mask.channels, x, y, w, h), width: w, height: h } : undefined;
  return { raw: { ...raw, data: out, width: w, height: h, channels: c }, pixels: out, mask: croppedMask };
}

function cropInterleaved(src: Uint8Array | Uint16Array, width: number, c: number, x: number, y: number, w: number, h: number): Uint8Array | Uint16Array {
  const out = src instanceof Uint16Array ? new Uint16Array(w * h * c) : new Uint8Array(w * h * c);
  for (let yy = 0; yy < h; yy++) out.set(src.subarray(((y + yy) * width + x) * c, ((y + yy) * width + x + w) * c), yy * w * c);
  return out;
}

/** The prepared image as floats in 0..1 (what a model sees before normalisation). */
export function toUnitFloats(p: Pick<PreparedImage, 'pixels' | 'bitDepth'>): Float32Array {
  const k = 1 / maxSample(p.bitDepth);
  return Float32Array.from(p.pixels, (v) => v * k);
}
