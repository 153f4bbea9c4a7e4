// Per-specimen imaging: each slide (one patient) has its own exposure,
// contrast, focus and noise, shared by all of its cells. That signature is
// what makes a specimen leaking across a split inflate the scores.
import type { Random } from '../../engine/random';
import { blur, newField, toUint8, type Field } from './field';
import type { CellGeometry } from './cell-shape';
import type { Pattern } from './patterns';
import { textureLook, type TextureLook } from './textures';

export type Intensity = 'positive' | 'intermediate' | 'negative';
export const ANOMALIES = ['saturated', 'near_black', 'defocused'] as const;
export type Anomaly = (typeof ANOMALIES)[number];

export interface SpecimenLook {
  /** Mean stain signal over the cell, above background, in 8-bit grey levels. */
  brightness: number;
  /** Exponent applied to the stain: < 1 flattens the texture, > 1 sharpens it. */
  gamma: number;
  /** Optical blur (Gaussian sigma, px). */
  blur: number;
  /** Photon (shot) noise: variance = shotGain * signal. */
  shotGain: number;
  /** Camera read noise (std, grey levels). */
  readNoise: number;
  background: number;
  /** Typical cell size on this slide (~0.9-1.1). */
  sizeScale: number;
  texture: TextureLook;
}

/** Log-uniform interpolation between lo and hi at u in [0, 1]. */
const logLerp = (lo: number, hi: number, u: number) => lo * Math.pow(hi / lo, u);
const lerp = (lo: number, hi: number, u: number) => lo + (hi - lo) * u;

/** The per-specimen settings the plan spreads evenly (see plan.ts), each a quantile in [0, 1]. */
export const LOOK_KEYS = ['brightness', 'blur', 'noise', 'gamma', 'background', 'size', 'grain', 'contrast'] as const;
export type LookQuantiles = Record<(typeof LOOK_KEYS)[number], number>;

/**
 * Mean stain signal of a specimen, placed by its quantile within the range of
 * its intensity class. The plan spreads the quantiles over each pattern's
 * specimens, so brightness carries no class information. A.I.D.A.-like
 * positives reach down to dim ones that overlap bright negatives.
 */
function brightnessOf(kind: 'patterns' | 'intensity', intensity: Intensity, u: number): number {
  if (intensity === 'negative') return lerp(1, 10, u);
  if (kind === 'intensity') return logLerp(5, 150, u);
  return intensity === 'positive' ? logLerp(48, 75, u) : logLerp(34, 52, u);
}

export function specimenLook(kind: 'patterns' | 'intensity', pattern: Pattern | 'negative', intensity: Intensity, q: LookQuantiles): SpecimenLook {
  const dim = intensity !== 'positive';
  return {
    brightness: brightnessOf(kind, intensity, q.brightness),
    gamma: lerp(0.9, 1.1, q.gamma),
    blur: dim ? lerp(0.4, 0.6, q.blur) : lerp(0.3, 0.5, q.blur),
    shotGain: dim ? lerp(0.5, 1.1, q.noise) : lerp(0.3, 0.7, q.noise),
    readNoise: dim ? lerp(1.5, 3, q.noise) : lerp(1, 2, q.noise),
    background: lerp(4, 20, q.background),
    sizeScale: lerp(0.9, 1.1, q.size),
    texture: textureLook(pattern, q.grain, q.contrast),
  };
}

/** A smooth background with a gentle tilt (uneven illumination). */
function background(width: number, height: number, level: number, rng: Random): Field {
  const f = newField(width, height);
  const gx = rng.normal(0, 0.1) / width, gy = rng.normal(0, 0.1) / height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) f.data[y * width + x] = level * (1 + gx * (x - width / 2) + gy * (y - height / 2));
  }
  return f;
}

/** Turn a stain (mean 1 over the mask) into the 8-bit grey crop the microscope would record. */
export function imageCell(stain: Field, g: CellGeometry, look: SpecimenLook, anomaly: Anomaly | '', rng: Random): Uint8Array {
  // Cells of one slide still differ: exposure, focus and contrast vary a little per cell.
  let brightness = look.brightness * Math.exp(rng.normal(0, 0.15));
  let bgLevel = look.background * rng.uniform(0.85, 1.15);
  let sigma = look.blur * rng.uniform(0.7, 1.3);
  let readNoise = look.readNoise;
  const gamma = look.gamma * rng.uniform(0.93, 1.07);
  if (anomaly === 'saturated') {
    brightness *= rng.uniform(6, 9);
    bgLevel *= 2;
  } else if (anomaly === 'near_black') {
    brightness *= 0.04;
    bgLevel = Math.min(bgLevel, 3) * 0.5;
    readNoise *= 0.4;
  } else if (anomaly === 'defocused') {
    // Out of focus, the optics spread the same light over a wider disc: the
    // texture blurs away, peaks drop and light spills past the outline, but
    // the total collected is about the same (a little lost to the wider
    // aperture cone). The mean inside the mask drops only by what spills out.
    sigma = Math.hypot(sigma, rng.uniform(3.5, 5));
    brightness *= rng.uniform(0.9, 1);
  }
  // Gamma changes the texture's contrast; renormalise so it leaves the mean alone.
  const shaped = newField(stain.width, stain.height);
  let sum = 0, n = 0;
  for (let i = 0; i < shaped.data.length; i++) {
    if (g.mask[i]) {
      shaped.data[i] = Math.pow(stain.data[i], gamma);
      sum += shaped.data[i];
      n++;
    }
  }
  const k = sum > 0 ? (brightness * n) / sum : 0;
  for (let i = 0; i < shaped.data.length; i++) shaped.data[i] *= k;
  const signal = blur(shaped, sigma);
  const out = background(stain.width, stain.height, bgLevel, rng);
  const read2 = readNoise * readNoise;
  for (let i = 0; i < out.data.length; i++) {
    const s = signal.data[i];
    // Shot and read noise are independent Gaussians: one draw with the summed variance.
    out.data[i] += s + Math.sqrt(Math.max(0, s) * look.shotGain + read2) * rng.normal();
  }
  return toUint8(out);
}
