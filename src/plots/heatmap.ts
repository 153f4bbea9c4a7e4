// A heat map (e.g. a Grad-CAM) laid over an image, as RGB pixels and PNG.
import sharp from 'sharp';

export interface PixelImage {
  /** Interleaved 8-bit samples, row-major. */
  data: Uint8Array;
  width: number;
  height: number;
  /** 1 grey or 3 RGB. */
  channels: 1 | 3;
}

const clamp01 = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);

/** The jet colour map (blue - cyan - yellow - red) at t in 0..1, as 0..255 RGB. */
export function jet(t: number): [number, number, number] {
  const v = clamp01(t);
  const c = (d: number) => Math.round(255 * clamp01(1.5 - Math.abs(4 * v - d)));
  return [c(3), c(2), c(1)];
}

/**
 * `heat` (width x height values in 0..1) over `image`: each pixel is blended with the
 * colour map, more opaque where the heat is higher, so the cell stays visible where the
 * map is cold.
 */
export function overlayHeatmap(image: PixelImage, heat: Float32Array, o: { alpha?: number } = {}): PixelImage {
  const n = image.width * image.height;
  if (heat.length !== n) throw new RangeError(`the heat map has ${heat.length} values but the image is ${image.width}x${image.height} (${n} pixels)`);
  const alpha = o.alpha ?? 0.55;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const h = clamp01(heat[i]);
    const a = alpha * (0.25 + 0.75 * h);
    const [r, g, b] = jet(h);
    const src = image.channels === 1 ? [image.data[i], image.data[i], image.data[i]] : [image.data[3 * i], image.data[3 * i + 1], image.data[3 * i + 2]];
    out[3 * i] = Math.round(src[0] * (1 - a) + r * a);
    out[3 * i + 1] = Math.round(src[1] * (1 - a) + g * a);
    out[3 * i + 2] = Math.round(src[2] * (1 - a) + b * a);
  }
  return { data: out, width: image.width, height: image.height, channels: 3 };
}

/** Encode 8-bit grey or RGB pixels as PNG. */
export async function pixelsToPng(image: PixelImage): Promise<Buffer> {
  return sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), {
    raw: { width: image.width, height: image.height, channels: image.channels },
  }).toColourspace(image.channels === 1 ? 'b-w' : 'srgb').png().toBuffer();
}
