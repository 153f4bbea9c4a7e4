// Float images (one channel, row-major) and the few operations the
// synthetic generator draws with. Pure TypeScript, no tensors: generation
// must not depend on which TF.js backend is loaded.
import type { Random } from '../../engine/random';

export interface Field {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

export function newField(width: number, height: number, fill = 0): Field {
  const data = new Float32Array(width * height);
  if (fill !== 0) data.fill(fill);
  return { width, height, data };
}

/** 1-D Gaussian kernel truncated at 3 sigma, summing to 1. */
function gaussianKernel(sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) {
    const v = Math.exp(-(i * i) / (2 * sigma * sigma));
    k[i + r] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/** Separable Gaussian blur with clamped edges; returns a new field. */
export function blur(f: Field, sigma: number): Field {
  if (sigma < 0.05) return { width: f.width, height: f.height, data: f.data.slice() };
  const { width: w, height: h } = f;
  const k = gaussianKernel(sigma);
  const r = (k.length - 1) >> 1;
  const tmp = new Float32Array(w * h);
  const out = new Float32Array(w * h);
  // Rows: copy each into an edge-padded buffer so the inner loop has no branches.
  const padded = new Float32Array(Math.max(w, h) + 2 * r);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let i = 0; i < r; i++) {
      padded[i] = f.data[row];
      padded[r + w + i] = f.data[row + w - 1];
    }
    padded.set(f.data.subarray(row, row + w), r);
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let i = 0; i < k.length; i++) s += k[i] * padded[x + i];
      tmp[row + x] = s;
    }
  }
  // Columns: accumulate whole rows at a time (cache-friendly), clamping the row index.
  for (let y = 0; y < h; y++) {
    const dst = y * w;
    for (let i = -r; i <= r; i++) {
      const yy = y + i < 0 ? 0 : y + i >= h ? h - 1 : y + i;
      const src = yy * w, kv = k[i + r];
      for (let x = 0; x < w; x++) out[dst + x] += kv * tmp[src + x];
    }
  }
  return { width: w, height: h, data: out };
}

/** Band-limited noise: white noise blurred by `sigma`, rescaled to mean 0, std 1. */
export function smoothNoise(rng: Random, width: number, height: number, sigma: number): Field {
  // Wide blurs are costly: draw very smooth noise on a coarser grid and upsample.
  const step = sigma >= 3 ? Math.floor(sigma / 1.5) : 1;
  const cw = Math.ceil(width / step) + 1, ch = Math.ceil(height / step) + 1;
  const white = newField(cw, ch);
  for (let i = 0; i < white.data.length; i++) white.data[i] = rng.normal();
  const coarse = blur(white, sigma / step);
  const f = step === 1 ? coarse : upsample(coarse, step, width, height);
  let mean = 0;
  for (const v of f.data) mean += v;
  mean /= f.data.length;
  let sq = 0;
  for (const v of f.data) sq += (v - mean) ** 2;
  const sd = Math.sqrt(sq / f.data.length) || 1;
  for (let i = 0; i < f.data.length; i++) f.data[i] = (f.data[i] - mean) / sd;
  return f;
}

/** Bilinear upsampling by an integer factor, cropped to width x height. */
function upsample(c: Field, step: number, width: number, height: number): Field {
  const f = newField(width, height);
  for (let y = 0; y < height; y++) {
    const gy = y / step, y0 = Math.floor(gy), ty = gy - y0;
    for (let x = 0; x < width; x++) {
      const gx = x / step, x0 = Math.floor(gx), tx = gx - x0;
      const i = y0 * c.width + x0;
      const top = c.data[i] * (1 - tx) + c.data[i + 1] * tx;
      const bottom = c.data[i + c.width] * (1 - tx) + c.data[i + c.width + 1] * tx;
      f.data[y * width + x] = top * (1 - ty) + bottom * ty;
    }
  }
  return f;
}

/** Add an elliptical Gaussian spot (sigmas sx, sy, rotated by theta) of peak `amp`. */
export function addSpot(f: Field, cx: number, cy: number, sx: number, sy: number, theta: number, amp: number): void {
  const r = 3 * Math.max(sx, sy);
  const x0 = Math.max(0, Math.floor(cx - r)), x1 = Math.min(f.width - 1, Math.ceil(cx + r));
  const y0 = Math.max(0, Math.floor(cy - r)), y1 = Math.min(f.height - 1, Math.ceil(cy + r));
  const c = Math.cos(theta), s = Math.sin(theta);
  const ix = 1 / (2 * sx * sx), iy = 1 / (2 * sy * sy);
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const dx = x - cx, dy = y - cy;
      const u = c * dx + s * dy, v = -s * dx + c * dy;
      f.data[y * f.width + x] += amp * Math.exp(-u * u * ix - v * v * iy);
    }
  }
}

/** Mean of `f` where `mask` is non-zero (0 if the mask is empty). */
export function maskedMean(f: Field, mask: Uint8Array): number {
  let s = 0, n = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i]) {
      s += f.data[i];
      n++;
    }
  }
  return n ? s / n : 0;
}

/** Round and clip to 0..255. */
export function toUint8(f: Field): Uint8Array {
  const out = new Uint8Array(f.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = Math.round(f.data[i]);
    out[i] = v < 0 ? 0 : v > 255 ? 255 : v;
  }
  return out;
}
