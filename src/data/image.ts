// Decode, mask, resize and scale one image with sharp.
import sharp from 'sharp';
import type { ImageConfig } from './schema';
import type { DatasetItem } from './types';
import { DataError } from './bad-input';

export function channelCount(channels: ImageConfig['channels']): number {
  return channels === 'rgb' ? 3 : 1;
}

interface Raw { data: Uint8Array; width: number; height: number; channels: number }

async function decode(file: string): Promise<Raw> {
  try {
    const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels };
  } catch (err) {
    throw new DataError(`cannot decode ${file}: ${(err as Error).message}`);
  }
}

/** Pick the configured channels out of an interleaved buffer. */
function selectChannels(raw: Raw, want: ImageConfig['channels']): Uint8Array {
  const { data, width, height, channels } = raw;
  const n = width * height;
  const outC = channelCount(want);
  const out = new Uint8Array(n * outC);
  const colour = channels >= 3;
  for (let i = 0; i < n; i++) {
    const p = i * channels;
    if (want === 'rgb') {
      out[i * 3] = data[p];
      out[i * 3 + 1] = colour ? data[p + 1] : data[p];
      out[i * 3 + 2] = colour ? data[p + 2] : data[p];
    } else if (want === 'gray') {
      // ITU-R BT.601 luma, as sharp's greyscale() and PIL's convert('L').
      out[i] = colour ? Math.round(0.299 * data[p] + 0.587 * data[p + 1] + 0.114 * data[p + 2]) : data[p];
    } else {
      const c = want === 'red' ? 0 : want === 'green' ? 1 : 2;
      out[i] = colour ? data[p + c] : data[p];
    }
  }
  return out;
}

/** Pixels outside the mask (mask value <= 127) are set to 0. */
export function applyMask(pixels: Uint8Array, channels: number, mask: Uint8Array, maskChannels: number): void {
  const n = pixels.length / channels;
  for (let i = 0; i < n; i++) {
    if (mask[i * maskChannels] <= 127) for (let c = 0; c < channels; c++) pixels[i * channels + c] = 0;
  }
}

/**
 * The model input for one item: masked (if configured), resized to
 * size x size (padding with 0 to keep the aspect, or stretching), scaled to 0..1.
 */
export async function prepareImage(item: DatasetItem, cfg: ImageConfig): Promise<Float32Array> {
  const raw = await decode(item.path);
  const c = channelCount(cfg.channels);
  const pixels = selectChannels(raw, cfg.channels);
  if (cfg.mask) {
    if (!item.maskPath) throw new DataError(`${item.path}: no mask (image.mask is true)`);
    const mask = await decode(item.maskPath);
    if (mask.width !== raw.width || mask.height !== raw.height) {
      throw new DataError(`mask ${item.maskPath} is ${mask.width}x${mask.height} but image ${item.path} is ${raw.width}x${raw.height}`);
    }
    applyMask(pixels, c, mask.data, mask.channels);
  }
  const resized = await sharp(pixels, { raw: { width: raw.width, height: raw.height, channels: c as 1 | 3 } })
    .resize(cfg.size, cfg.size, {
      fit: cfg.resize === 'pad' ? 'contain' : 'fill',
      background: { r: 0, g: 0, b: 0, alpha: 1 },
      kernel: 'lanczos3',
    })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true })
    .catch((err: Error) => { throw new DataError(`cannot resize ${item.path}: ${err.message}`); });
  const bytes = resized.data;
  const want = cfg.size * cfg.size * c;
  const out = new Float32Array(want);
  const srcC = resized.info.channels;
  for (let i = 0; i < cfg.size * cfg.size; i++) {
    for (let k = 0; k < c; k++) out[i * c + k] = bytes[i * srcC + Math.min(k, srcC - 1)] / 255;
  }
  return out;
}
