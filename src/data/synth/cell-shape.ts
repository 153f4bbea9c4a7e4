// The outline of one cell: a rotated ellipse with a slightly wavy rim,
// centred in a crop of 60-100 px whose sides usually differ.
import type { Random } from '../../engine/random';

export interface Outline {
  cx: number;
  cy: number;
  /** Semi-axes in pixels. */
  a: number;
  b: number;
  theta: number;
  /** Rim waviness: radius scaled by 1 + sum amp*cos(k*phi + phase). */
  waves: { k: number; amp: number; phase: number }[];
}

export interface CellGeometry {
  width: number;
  height: number;
  outline: Outline;
  /** 1 inside the cell, 0 outside. */
  mask: Uint8Array;
  /** Normalised radius: 0 at the centre, 1 on the rim, > 1 outside. */
  rho: Float32Array;
}

export const MIN_CROP = 60;
export const MAX_CROP = 100;

/** Normalised radius of every pixel of a width x height grid relative to `o`. */
export function outlineRho(width: number, height: number, o: Outline): Float32Array {
  const rho = new Float32Array(width * height);
  const c = Math.cos(o.theta), s = Math.sin(o.theta);
  const waves = o.waves.map((w) => ({ k: w.k, ac: w.amp * Math.cos(w.phase), as: w.amp * Math.sin(w.phase) }));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = x + 0.5 - o.cx, dy = y + 0.5 - o.cy;
      const u = (c * dx + s * dy) / o.a, v = (-s * dx + c * dy) / o.b;
      const r = Math.sqrt(u * u + v * v);
      // cos(k*phi + phase) from powers of (cos phi, sin phi): no atan2/cos per pixel.
      const cp = r > 0 ? u / r : 1, sp = r > 0 ? v / r : 0;
      let scale = 1, ck = 1, sk = 0, k = 0;
      for (const w of waves) {
        while (k < w.k) {
          const t = ck * cp - sk * sp;
          sk = sk * cp + ck * sp;
          ck = t;
          k++;
        }
        scale += ck * w.ac - sk * w.as;
      }
      rho[y * width + x] = r / scale;
    }
  }
  return rho;
}

/**
 * A random cell. `sizeScale` (about 0.9-1.1) is a per-specimen factor:
 * cells of one slide share a magnification and a typical size.
 */
export function drawCell(rng: Random, sizeScale = 1): CellGeometry {
  const a = Math.min(44, rng.uniform(26, 40) * sizeScale);
  const b = a * rng.uniform(0.68, 0.97);
  const theta = rng.uniform(0, Math.PI);
  const waves = [2, 3, 4].map((k) => ({ k, amp: rng.uniform(0, 0.045 / (k - 1)), phase: rng.uniform(0, 2 * Math.PI) }));
  // Half-extent of the rotated ellipse, plus the rim waves, plus a margin.
  const waveMax = 1 + waves.reduce((s, w) => s + w.amp, 0);
  const hx = Math.sqrt((a * Math.cos(theta)) ** 2 + (b * Math.sin(theta)) ** 2) * waveMax;
  const hy = Math.sqrt((a * Math.sin(theta)) ** 2 + (b * Math.cos(theta)) ** 2) * waveMax;
  const clampCrop = (v: number) => Math.max(MIN_CROP, Math.min(MAX_CROP, Math.round(v)));
  const width = clampCrop(2 * hx + rng.uniform(4, 14));
  const height = clampCrop(2 * hy + rng.uniform(4, 14));
  // Shrink the cell if the crop had to be clamped below its size.
  const fit = Math.min(1, (width - 4) / (2 * hx), (height - 4) / (2 * hy));
  const outline: Outline = {
    cx: width / 2 + rng.uniform(-1.5, 1.5),
    cy: height / 2 + rng.uniform(-1.5, 1.5),
    a: a * fit,
    b: b * fit,
    theta,
    waves,
  };
  const rho = outlineRho(width, height, outline);
  const mask = new Uint8Array(width * height);
  for (let i = 0; i < mask.length; i++) mask[i] = rho[i] < 1 ? 1 : 0;
  return { width, height, outline, mask, rho };
}
