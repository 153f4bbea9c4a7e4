// Colour augmentations of one image (0..1 floats, interleaved channels), as
// torchvision's ColorJitter (saturation, hue), RandomGrayscale and
// RandomSolarize: the self-supervised views of the histology study (BYOL).
// On a one-channel image saturation, hue and grayscale change nothing.
import type { Img } from './geometry';

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/** ITU-R 601-2 luma with torchvision's rgb_to_grayscale weights. */
function luma(d: Float32Array, o: number): number {
  return 0.2989 * d[o] + 0.587 * d[o + 1] + 0.114 * d[o + 2];
}

/** Every channel set to the pixel's luma (RGB); other channel counts are returned unchanged. */
export function toGrayscale({ data, c }: Img): Float32Array {
  if (c !== 3) return data.slice();
  const out = new Float32Array(data.length);
  for (let o = 0; o < data.length; o += 3) out[o] = out[o + 1] = out[o + 2] = luma(data, o);
  return out;
}

/** Blend with the grayscale image: 0 = gray, 1 = unchanged, 2 = twice as saturated (clamped). */
export function adjustSaturation(img: Img, factor: number): Float32Array {
  const { data, c } = img;
  if (c !== 3) return data.slice();
  const out = new Float32Array(data.length);
  for (let o = 0; o < data.length; o += 3) {
    const g = luma(data, o);
    for (let k = 0; k < 3; k++) out[o + k] = clamp01(g + (data[o + k] - g) * factor);
  }
  return out;
}

/** Rotate the hue by `shift` turns (-0.5..0.5), through HSV as torchvision does. */
export function adjustHue(img: Img, shift: number): Float32Array {
  const { data, c } = img;
  if (c !== 3 || shift === 0) return data.slice();
  const out = new Float32Array(data.length);
  for (let o = 0; o < data.length; o += 3) {
    const r = data[o], g = data[o + 1], b = data[o + 2];
    const max = Math.max(r, g, b), min = Math.min(r, g, b), delta = max - min;
    let h = 0;
    if (delta > 0) {
      if (max === r) h = ((g - b) / delta) / 6;
      else if (max === g) h = ((b - r) / delta + 2) / 6;
      else h = ((r - g) / delta + 4) / 6;
    }
    h = (((h + shift) % 1) + 1) % 1;
    const s = max > 0 ? delta / max : 0, v = max;
    // HSV -> RGB.
    const i = Math.floor(h * 6), f = h * 6 - i;
    const p = v * (1 - s), q = v * (1 - f * s), t = v * (1 - (1 - f) * s);
    const [rr, gg, bb] = [[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]][i % 6];
    out[o] = rr; out[o + 1] = gg; out[o + 2] = bb;
  }
  return out;
}

/** Invert every value at or above `threshold` (v -> 1 - v). */
export function solarize(data: Float32Array, threshold: number): Float32Array {
  return Float32Array.from(data, (v) => (v >= threshold ? 1 - v : v));
}
