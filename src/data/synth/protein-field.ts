// One field image of the synthetic protein set: several cells, four stains as
// HPA records them (blue nucleus, red microtubules, yellow ER, green the
// protein at its localisations), a segmentation label image, and the
// imaging of its plate (exposure per stain, background, focus, noise).
import type { Random } from '../../engine/random';
import { addSpot, blur, newField, smoothNoise, toUint8, type Field } from './field';
import { outlineRho, type Outline } from './cell-shape';
import type { Localisation } from './protein-labels';

export const STAIN_NAMES = ['red', 'green', 'blue', 'yellow'] as const;
export type StainName = (typeof STAIN_NAMES)[number];
export const PROTEIN_ANOMALIES = ['saturated', 'near_black', 'defocused', 'no_signal'] as const;
export type ProteinAnomaly = (typeof PROTEIN_ANOMALIES)[number];

/** A plate's imaging, shared by its images: what makes a plate leaking across a split inflate scores. */
export interface PlateLook {
  /** Mean signal inside cells per stain (grey levels above background). */
  brightness: Record<StainName, number>;
  background: number;
  blur: number;
  shotGain: number;
  readNoise: number;
  cellScale: number;
}

export function plateLook(rng: Random): PlateLook {
  const logU = (lo: number, hi: number) => lo * Math.pow(hi / lo, rng.next());
  return {
    brightness: { green: logU(45, 95), blue: logU(70, 130), red: logU(30, 60), yellow: logU(30, 60) },
    background: rng.uniform(3, 12),
    blur: rng.uniform(0.5, 0.9),
    shotGain: rng.uniform(0.3, 0.8),
    readNoise: rng.uniform(1, 2.5),
    cellScale: rng.uniform(0.9, 1.1),
  };
}

export interface RenderedField {
  size: number;
  stains: Record<StainName, Uint8Array>;
  /** Segmentation label image: 0 background, i for cell i (1-based). */
  cells: Uint8Array;
  count: number;
  /** Each cell's bounding box (x0, y0, x1, y1 exclusive) in the label image. */
  boxes: [number, number, number, number][];
}

interface Cell {
  outline: Outline;
  nucleus: Outline;
  /** Nucleoli centres (field coordinates). */
  nucleoli: [number, number][];
  /** How strongly the cell expresses the protein (a few cells barely do: weak supervision). */
  expression: number;
}

const smoothstep = (e0: number, e1: number, x: number) => {
  const t = Math.min(1, Math.max(0, (x - e0) / (e1 - e0)));
  return t * t * (3 - 2 * t);
};

function drawCells(size: number, scale: number, rng: Random): Cell[] {
  const target = 3 + rng.int(4);
  const cells: Cell[] = [];
  for (let tries = 0; cells.length < target && tries < 300; tries++) {
    const a = size * rng.uniform(0.12, 0.17) * scale;
    const b = a * rng.uniform(0.7, 0.95);
    const cx = rng.uniform(a * 0.8, size - a * 0.8), cy = rng.uniform(a * 0.8, size - a * 0.8);
    if (cells.some((c) => Math.hypot(c.outline.cx - cx, c.outline.cy - cy) < 0.95 * (c.outline.a + a))) continue;
    const theta = rng.uniform(0, Math.PI);
    const waves = [2, 3, 4].map((k) => ({ k, amp: rng.uniform(0, 0.06 / (k - 1)), phase: rng.uniform(0, 2 * Math.PI) }));
    const na = a * rng.uniform(0.4, 0.52), nb = na * rng.uniform(0.75, 0.95);
    const off = rng.uniform(0, 0.18 * a), dir = rng.uniform(0, 2 * Math.PI);
    const nucleus: Outline = { cx: cx + off * Math.cos(dir), cy: cy + off * Math.sin(dir), a: na, b: nb, theta: theta + rng.normal(0, 0.3), waves: [] };
    const nucleoli: [number, number][] = [];
    for (let k = 0, n = 2 + rng.int(3); k < n; k++) {
      const r = rng.uniform(0, 0.55), t = rng.uniform(0, 2 * Math.PI);
      nucleoli.push([nucleus.cx + r * na * Math.cos(t), nucleus.cy + r * nb * Math.sin(t)]);
    }
    const expression = rng.bool(0.12) ? rng.uniform(0.05, 0.3) : rng.uniform(0.7, 1.3);
    cells.push({ outline: { cx, cy, a, b, theta, waves }, nucleus, nucleoli, expression });
  }
  return cells;
}

/** A random point of cell `c`'s cytoplasm (outside the nucleus), optionally close to the nucleus. */
function cytoplasmPoint(c: Cell, rng: Random, owner: Int32Array, rc: Float32Array, rn: Float32Array, size: number, idx: number, near = false): [number, number] {
  for (let tries = 0; tries < 200; tries++) {
    const t = rng.uniform(0, 2 * Math.PI), r = near ? rng.uniform(0.55, 0.75) : rng.uniform(0.3, 0.95);
    const x = c.outline.cx + r * c.outline.a * Math.cos(t), y = c.outline.cy + r * c.outline.b * Math.sin(t);
    const i = Math.floor(y) * size + Math.floor(x);
    if (x < 0 || y < 0 || x >= size || y >= size || owner[i] !== idx) continue;
    if (rn[i] > (near ? 1.1 : 1.15) && rc[i] < 0.92 && (!near || rn[i] < 1.6)) return [x, y];
  }
  return [c.outline.cx, c.outline.cy];
}

/** Scale so the mean over the pixels where `where` holds is 1. */
function normaliseOver(f: Field, where: (i: number) => boolean): Field {
  let s = 0, n = 0;
  for (let i = 0; i < f.data.length; i++) if (where(i)) { s += f.data[i]; n++; }
  const k = s > 0 ? n / s : 0;
  for (let i = 0; i < f.data.length; i++) f.data[i] *= k;
  return f;
}

/** Record a stain the way the camera does: background, exposure, blur, shot + read noise, 8 bits. */
function image(stain: Field, brightness: number, look: PlateLook, sigma: number, rng: Random): Uint8Array {
  const f = newField(stain.width, stain.height);
  const tilt = rng.normal(0, 0.08) / stain.width;
  for (let y = 0; y < f.height; y++) {
    for (let x = 0; x < f.width; x++) {
      const i = y * f.width + x;
      f.data[i] = look.background * (1 + tilt * (x - f.width / 2)) + brightness * stain.data[i];
    }
  }
  const b = blur(f, sigma);
  for (let i = 0; i < b.data.length; i++) {
    const v = Math.max(0, b.data[i]);
    b.data[i] = v + rng.normal(0, Math.sqrt(look.shotGain * v + look.readNoise ** 2));
  }
  return toUint8(b);
}

/** Draw one field of `size` x `size` pixels whose protein sits at `labels`. */
export function renderField(labels: readonly Localisation[], look: PlateLook, anomaly: ProteinAnomaly | '', size: number, rng: Random): RenderedField {
  const cells = drawCells(size, look.cellScale, rng);
  const N = size * size;
  const owner = new Int32Array(N).fill(-1);
  const rc = new Float32Array(N).fill(9), rn = new Float32Array(N).fill(9);
  cells.forEach((c, k) => {
    const rhoC = outlineRho(size, size, c.outline), rhoN = outlineRho(size, size, c.nucleus);
    for (let i = 0; i < N; i++) {
      if (rhoC[i] < 1 && rhoC[i] < rc[i]) { owner[i] = k; rc[i] = rhoC[i]; rn[i] = rhoN[i]; }
    }
  });
  const inCell = (i: number) => owner[i] >= 0;
  const inNucleus = (i: number) => owner[i] >= 0 && rn[i] < 1;
  const cytoplasm = (i: number) => owner[i] >= 0 && rn[i] >= 1;
  const expr = (i: number) => (owner[i] >= 0 ? cells[owner[i]].expression : 0);

  // Blue: DAPI fills each nucleus, darker at the nucleoli.
  const blue = newField(size, size);
  const grain = smoothNoise(rng, size, size, 1.2);
  const holes = newField(size, size);
  for (const c of cells) for (const [x, y] of c.nucleoli) addSpot(holes, x, y, 1.6, 1.4, 0, 1);
  for (let i = 0; i < N; i++) if (owner[i] >= 0) blue.data[i] = (1 - smoothstep(0.9, 1.04, rn[i])) * (1 + 0.15 * grain.data[i]) * (1 - 0.5 * Math.min(1, holes.data[i]));

  // Yellow (ER marker) and the ER-localised protein share one reticular network, dense around the nucleus.
  const ridge = smoothNoise(rng, size, size, 1.3);
  const er = newField(size, size);
  for (let i = 0; i < N; i++) if (cytoplasm(i)) er.data[i] = Math.max(0, 1 - 3.2 * Math.abs(ridge.data[i])) * (0.35 + Math.max(0, 1.6 - 0.6 * rn[i]));

  // Red: microtubules, filaments from around the nucleus out to the rim.
  const red = newField(size, size);
  cells.forEach((c, k) => {
    for (let f = 0; f < 18; f++) {
      const t = rng.uniform(0, 2 * Math.PI);
      let x = c.nucleus.cx + c.nucleus.a * 1.05 * Math.cos(t), y = c.nucleus.cy + c.nucleus.b * 1.05 * Math.sin(t);
      let dir = t + rng.normal(0, 0.3);
      for (let s = 0; s < 40; s++) {
        const i = Math.floor(y) * size + Math.floor(x);
        if (x < 0 || y < 0 || x >= size || y >= size || owner[i] !== k) break;
        addSpot(red, x, y, 0.6, 0.6, 0, 0.6);
        dir += rng.normal(0, 0.1);
        x += Math.cos(dir); y += Math.sin(dir);
      }
    }
  });

  // Green: the protein at each of the image's localisations.
  const green = newField(size, size);
  const add = (pattern: Field, support: (i: number) => boolean) => {
    normaliseOver(pattern, support);
    const w = rng.uniform(0.7, 1.2);
    for (let i = 0; i < N; i++) green.data[i] += w * pattern.data[i] * expr(i);
  };
  for (const label of labels) {
    const p = newField(size, size);
    switch (label) {
      case 'Nucleoplasm': {
        const tex = smoothNoise(rng, size, size, 1);
        for (let i = 0; i < N; i++) if (inCell(i)) p.data[i] = (1 - smoothstep(0.88, 1.02, rn[i])) * (1 + 0.2 * tex.data[i]) * (1 - 0.7 * Math.min(1, holes.data[i]));
        add(p, inNucleus);
        break;
      }
      case 'Nucleoli':
        for (const c of cells) for (const [x, y] of c.nucleoli) addSpot(p, x, y, 1.5, 1.3, rng.uniform(0, Math.PI), rng.uniform(0.8, 1.2));
        add(p, (i) => holes.data[i] > 0.3);
        break;
      case 'Nuclear membrane':
        for (let i = 0; i < N; i++) if (inCell(i)) p.data[i] = Math.exp(-(((rn[i] - 1) / 0.09) ** 2));
        add(p, (i) => inCell(i) && Math.abs(rn[i] - 1) < 0.1);
        break;
      case 'Plasma membrane':
        for (let i = 0; i < N; i++) if (inCell(i)) p.data[i] = Math.exp(-(((rc[i] - 0.95) / 0.05) ** 2));
        add(p, (i) => inCell(i) && rc[i] > 0.9);
        break;
      case 'Cytosol': {
        const tex = smoothNoise(rng, size, size, 2);
        for (let i = 0; i < N; i++) if (cytoplasm(i)) p.data[i] = smoothstep(1, 1.12, rn[i]) * (1 - smoothstep(0.9, 1, rc[i])) * (1 + 0.15 * tex.data[i]);
        add(p, cytoplasm);
        break;
      }
      case 'Endoplasmic reticulum':
        p.data.set(er.data);
        add(p, cytoplasm);
        break;
      case 'Mitochondria':
        cells.forEach((c, k) => {
          for (let m = 0, n = 35 + rng.int(30); m < n; m++) {
            let [x, y] = cytoplasmPoint(c, rng, owner, rc, rn, size, k);
            const dir = rng.uniform(0, 2 * Math.PI);
            for (let s = 0; s < 3 + rng.int(3); s++) { addSpot(p, x, y, 0.6, 0.6, 0, 1); x += 0.8 * Math.cos(dir); y += 0.8 * Math.sin(dir); }
          }
        });
        add(p, (i) => p.data[i] > 0.3);
        break;
      case 'Vesicles and punctate cytosolic patterns':
        cells.forEach((c, k) => {
          for (let v = 0, n = 10 + rng.int(14); v < n; v++) {
            const [x, y] = cytoplasmPoint(c, rng, owner, rc, rn, size, k);
            const s = rng.uniform(0.9, 1.3);
            addSpot(p, x, y, s, s, 0, rng.uniform(0.8, 1.2));
          }
        });
        add(p, (i) => p.data[i] > 0.3);
        break;
      case 'Golgi apparatus':
        cells.forEach((c, k) => {
          const [gx, gy] = cytoplasmPoint(c, rng, owner, rc, rn, size, k, true);
          for (let g = 0, n = 6 + rng.int(6); g < n; g++) addSpot(p, gx + rng.normal(0, 1.6), gy + rng.normal(0, 1.6), 1.1, 0.8, rng.uniform(0, Math.PI), rng.uniform(0.7, 1.1));
        });
        add(p, (i) => p.data[i] > 0.3);
        break;
      case 'Centrosome':
        cells.forEach((c, k) => {
          const [x, y] = cytoplasmPoint(c, rng, owner, rc, rn, size, k, true);
          addSpot(p, x, y, 0.9, 0.9, 0, 1);
          if (rng.bool(0.6)) addSpot(p, x + rng.uniform(1, 2), y + rng.uniform(-1, 1), 0.9, 0.9, 0, 0.9);
        });
        add(p, (i) => p.data[i] > 0.3);
        break;
    }
  }
  // Faint unspecific background staining inside cells.
  for (let i = 0; i < N; i++) if (inCell(i)) green.data[i] += 0.05;

  const stainFields: Record<StainName, Field> = { red: normaliseOver(red, inCell), green: normaliseOver(green, inCell), blue: normaliseOver(blue, inCell), yellow: normaliseOver(er, inCell) };
  const sigma = anomaly === 'defocused' ? rng.uniform(2.5, 3.5) : look.blur * rng.uniform(0.85, 1.15);
  const stains = {} as Record<StainName, Uint8Array>;
  for (const s of STAIN_NAMES) {
    let b = look.brightness[s] * Math.exp(rng.normal(0, 0.12));
    if (anomaly === 'near_black') b *= 0.05;
    if (anomaly === 'saturated' && s === 'green') b *= 6;
    const f = anomaly === 'no_signal' && s === 'green' ? newField(size, size) : stainFields[s];
    stains[s] = image(f, b, look, sigma, rng);
  }
  const seg = new Uint8Array(N);
  const boxes: [number, number, number, number][] = cells.map(() => [size, size, 0, 0]);
  for (let i = 0; i < N; i++) {
    if (owner[i] < 0) continue;
    seg[i] = owner[i] + 1;
    const x = i % size, y = Math.floor(i / size), b = boxes[owner[i]];
    b[0] = Math.min(b[0], x); b[1] = Math.min(b[1], y); b[2] = Math.max(b[2], x + 1); b[3] = Math.max(b[3], y + 1);
  }
  return { size, stains, cells: seg, count: cells.length, boxes };
}
