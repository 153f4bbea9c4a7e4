// Mask application: pixels outside the cell are set to 0. The same pass
// measures the mean intensity inside the mask (for the anomaly filter).
import type { RawImage } from '../decode/index';
import { maxSample } from '../decode/index';

/** Binary mask from any decoded mask image: first channel above half its range is "inside". */
export function maskBits(mask: RawImage): Uint8Array {
  const n = mask.width * mask.height;
  const out = new Uint8Array(n);
  const half = maxSample(mask.bitDepth) / 2;
  const c = mask.channels;
  for (let i = 0; i < n; i++) out[i] = mask.data[i * c] > half ? 1 : 0;
  return out;
}

/**
 * Zero the pixels outside `inside` (in place) and return the mean intensity
 * of the pixels inside, on a 0..1 scale (NaN when the mask is empty).
 * Without a mask, the mean over the whole image.
 */
export function applyMask(pixels: Uint8Array | Uint16Array, channels: number, inside: Uint8Array | undefined, maxValue: number,
  /** Measure the mean of this channel only (default: all channels). */ meanChannel?: number): number {
  const n = pixels.length / channels;
  let sum = 0, count = 0;
  for (let i = 0; i < n; i++) {
    const p = i * channels;
    if (inside && !inside[i]) {
      for (let c = 0; c < channels; c++) pixels[p + c] = 0;
      continue;
    }
    if (meanChannel !== undefined) { sum += pixels[p + meanChannel]; count++; continue; }
    for (let c = 0; c < channels; c++) sum += pixels[p + c];
    count += channels;
  }
  return count ? sum / count / maxValue : NaN;
}

/**
 * The fast path for the common case (8-bit image and mask, one output
 * channel): channel selection, masking and the mean in one pass, without
 * intermediate arrays. Same result as selectChannels + maskBits + applyMask.
 */
export function selectMasked8(raw: RawImage, want: 'gray' | 'red' | 'green' | 'blue', mask: RawImage): { pixels: Uint8Array; mean: number } {
  const n = raw.width * raw.height;
  const src = raw.data as Uint8Array, m = mask.data as Uint8Array;
  const sc = raw.channels, mc = mask.channels;
  const out = new Uint8Array(n);
  let sum = 0, count = 0;
  const colour = sc >= 3;
  const pick = colour && want !== 'gray' ? (want === 'red' ? 0 : want === 'green' ? 1 : 2) : 0;
  const luma = colour && want === 'gray';
  for (let i = 0, p = 0, q = 0; i < n; i++, p += sc, q += mc) {
    if (m[q] <= 127) continue;
    const v = luma ? (src[p] * 19595 + src[p + 1] * 38470 + src[p + 2] * 7471 + 0x8000) >> 16 : src[p + pick];
    out[i] = v;
    sum += v;
    count++;
  }
  return { pixels: out, mean: count ? sum / count / 255 : NaN };
}
