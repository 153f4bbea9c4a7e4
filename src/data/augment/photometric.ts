// Photometric augmentations of one image (0..1 floats): brightness and
// contrast jitter (as torchvision's ColorJitter), random erasing / cutout.
import type { Box, Img } from './geometry';

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/** Multiply every pixel by `factor`, clamped to 0..1. */
export function adjustBrightness(data: Float32Array, factor: number): Float32Array {
  return Float32Array.from(data, (v) => clamp01(v * factor));
}

/** Scale each pixel's distance from the image mean by `factor`, clamped to 0..1. */
export function adjustContrast(data: Float32Array, factor: number): Float32Array {
  let mean = 0;
  for (const v of data) mean += v;
  mean /= data.length || 1;
  return Float32Array.from(data, (v) => clamp01(mean + (v - mean) * factor));
}

/** Set the pixels of `box` (all channels) to `value`. */
export function erase({ data, w, c }: Img, box: Box, value = 0): Float32Array {
  const out = data.slice();
  for (let y = box.y; y < box.y + box.h; y++) out.fill(value, (y * w + box.x) * c, (y * w + box.x + box.w) * c);
  return out;
}
