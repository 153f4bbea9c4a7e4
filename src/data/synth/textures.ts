// The stain of each pattern inside one cell, before any optics or noise.
// Patterns differ in TEXTURE (granule size, density, arrangement); the
// mean is normalised away later, so brightness says nothing about the class.
// The ranges overlap on purpose where real patterns are confused:
// fine vs coarse speckled (granule size), homogeneous vs fine speckled
// (granule contrast).
import type { Random } from '../../engine/random';
import { addSpot, blur, newField, smoothNoise, type Field } from './field';
import { outlineRho, type CellGeometry } from './cell-shape';
import type { Pattern } from './patterns';

/** Texture parameters shared by all cells of one specimen (one patient, one slide). */
export interface TextureLook {
  /** Granule / dot size in pixels (sigma of a Gaussian). */
  grain: number;
  /** Contrast of the texture against the nucleus' base stain. */
  contrast: number;
}

/** A specimen's texture, from quantiles in [0, 1] of its pattern's ranges. */
export function textureLook(pattern: Pattern | 'negative', grainQ: number, contrastQ: number): TextureLook {
  const [g0, g1, c0, c1] = LOOK_RANGES[pattern];
  return { grain: g0 + (g1 - g0) * grainQ, contrast: c0 + (c1 - c0) * contrastQ };
}

/** Per-specimen ranges: [grain lo, grain hi, contrast lo, contrast hi]. */
const LOOK_RANGES: Record<Pattern | 'negative', [number, number, number, number]> = {
  homogeneous: [0.8, 1.2, 0.06, 0.18],
  fine_speckled: [0.9, 1.05, 0.4, 0.8],
  coarse_speckled: [1.9, 2.5, 1.1, 1.4],
  nucleolar: [3.0, 3.6, 2.5, 3.2],
  centromere: [1.3, 1.45, 0.9, 1.1],
  cytoplasmatic: [0.8, 0.95, 0.9, 1.1],
  negative: [3, 6, 0.05, 0.2],
};

/** One cell's texture: its specimen's look, varied a little from cell to cell. */
export function jitterLook(look: TextureLook, rng: Random): TextureLook {
  return { grain: look.grain * rng.uniform(0.87, 1.15), contrast: look.contrast * rng.uniform(0.8, 1.25) };
}

const smoothstep = (e0: number, e1: number, x: number) => {
  const t = Math.min(1, Math.max(0, (x - e0) / (e1 - e0)));
  return t * t * (3 - 2 * t);
};

/** Dark nucleoli: 1-3 soft holes that multiply the stain (speckled patterns). */
function darkenNucleoli(f: Field, g: CellGeometry, rng: Random, depth: number): void {
  const count = 1 + rng.int(3);
  const holes = newField(f.width, f.height);
  for (let i = 0; i < count; i++) {
    const [x, y] = pointInside(g, rng, 0.6);
    const r = rng.uniform(2.5, 4.5);
    addSpot(holes, x, y, r, r * rng.uniform(0.7, 1), rng.uniform(0, Math.PI), 1);
  }
  for (let i = 0; i < f.data.length; i++) f.data[i] *= 1 - depth * Math.min(1, holes.data[i]);
}

/** A uniform random point whose normalised radius is below `maxRho`. */
function pointInside(g: CellGeometry, rng: Random, maxRho: number): [number, number] {
  for (let tries = 0; tries < 1000; tries++) {
    const x = rng.uniform(0, g.width), y = rng.uniform(0, g.height);
    const i = Math.floor(y) * g.width + Math.floor(x);
    if (g.rho[i] < maxRho) return [x, y];
  }
  return [g.outline.cx, g.outline.cy];
}

function homogeneous(g: CellGeometry, rng: Random, look: TextureLook): Field {
  const f = newField(g.width, g.height);
  const low = smoothNoise(rng, g.width, g.height, 6);
  const grain = smoothNoise(rng, g.width, g.height, look.grain);
  const rim = rng.uniform(0.15, 0.45);
  for (let i = 0; i < f.data.length; i++) {
    f.data[i] = 1 + rim * smoothstep(0.72, 0.98, g.rho[i]) + 0.08 * low.data[i] + look.contrast * grain.data[i];
  }
  return f;
}

function fineSpeckled(g: CellGeometry, rng: Random, look: TextureLook): Field {
  const f = newField(g.width, g.height);
  const grain = smoothNoise(rng, g.width, g.height, look.grain);
  const low = smoothNoise(rng, g.width, g.height, 6);
  const base = rng.uniform(0.55, 0.8);
  for (let i = 0; i < f.data.length; i++) {
    f.data[i] = base + 0.06 * low.data[i] + look.contrast * Math.max(0, grain.data[i] + 0.2);
  }
  darkenNucleoli(f, g, rng, rng.uniform(0.35, 0.6));
  return f;
}

function coarseSpeckled(g: CellGeometry, rng: Random, look: TextureLook): Field {
  const f = newField(g.width, g.height);
  const s = look.grain;
  const speck = smoothNoise(rng, g.width, g.height, s);
  // A second, finer field breaks the blobs into irregular shapes.
  const jag = smoothNoise(rng, g.width, g.height, s * 0.5);
  const base = rng.uniform(0.45, 0.6);
  const t = rng.uniform(0.2, 0.45);
  for (let i = 0; i < f.data.length; i++) {
    f.data[i] = base + look.contrast * Math.max(0, speck.data[i] + 0.35 * jag.data[i] - t);
  }
  darkenNucleoli(f, g, rng, rng.uniform(0.4, 0.7));
  return f;
}

function nucleolar(g: CellGeometry, rng: Random, look: TextureLook): Field {
  const f = newField(g.width, g.height);
  const grain = smoothNoise(rng, g.width, g.height, 1);
  const base = rng.uniform(0.2, 0.3);
  for (let i = 0; i < f.data.length; i++) f.data[i] = base * (1 + 0.15 * grain.data[i]);
  const count = 2 + rng.int(5);
  for (let k = 0; k < count; k++) {
    const [x, y] = pointInside(g, rng, 0.65);
    const s = look.grain * rng.uniform(0.75, 1.25);
    const amp = look.contrast * rng.uniform(0.7, 1.2);
    // Irregular nucleoli: a main blob with a smaller offset lobe.
    addSpot(f, x, y, s, s * rng.uniform(0.6, 1), rng.uniform(0, Math.PI), amp);
    addSpot(f, x + rng.normal(0, s * 0.6), y + rng.normal(0, s * 0.6), s * 0.6, s * 0.5, rng.uniform(0, Math.PI), amp * 0.6);
  }
  return f;
}

function centromere(g: CellGeometry, rng: Random, look: TextureLook): Field {
  const f = newField(g.width, g.height);
  const base = rng.uniform(0.05, 0.1);
  f.data.fill(base);
  const target = 40 + rng.int(31);
  const placed: [number, number][] = [];
  const minDist2 = (2.4 * look.grain + 0.6) ** 2;
  for (let tries = 0; placed.length < target && tries < target * 40; tries++) {
    const [x, y] = pointInside(g, rng, 0.93);
    if (placed.some(([px, py]) => (px - x) ** 2 + (py - y) ** 2 < minDist2)) continue;
    placed.push([x, y]);
    const s = look.grain * rng.uniform(0.95, 1.05);
    addSpot(f, x, y, s, s, 0, look.contrast * rng.uniform(0.9, 1.1));
  }
  return f;
}

function cytoplasmatic(g: CellGeometry, rng: Random, look: TextureLook): Field {
  const o = g.outline;
  const k = rng.uniform(0.6, 0.72);
  const nucleus = outlineRho(g.width, g.height, {
    cx: o.cx + rng.uniform(-0.12, 0.12) * o.a,
    cy: o.cy + rng.uniform(-0.12, 0.12) * o.b,
    a: o.a * k,
    b: o.b * k * rng.uniform(0.85, 1.1),
    theta: o.theta + rng.normal(0, 0.3),
    waves: [],
  });
  // Fibres: persistent random walks deposited as thin strokes.
  const fibres = newField(g.width, g.height);
  const nFibres = 70 + rng.int(30);
  for (let j = 0; j < nFibres; j++) {
    let [x, y] = pointInside(g, rng, 0.97);
    let dir = rng.uniform(0, 2 * Math.PI);
    const steps = 15 + rng.int(25);
    for (let t = 0; t < steps; t++) {
      addSpot(fibres, x, y, look.grain, look.grain, 0, 0.5);
      dir += rng.normal(0, 0.12);
      x += Math.cos(dir);
      y += Math.sin(dir);
    }
  }
  // Reticular network: ridges of band-limited noise.
  const ridge = smoothNoise(rng, g.width, g.height, 2.2);
  const f = newField(g.width, g.height);
  const nucleusLevel = rng.uniform(0.03, 0.08);
  for (let i = 0; i < f.data.length; i++) {
    const cyto = 0.2 + look.contrast * (0.8 * Math.min(2, fibres.data[i]) + 0.4 * Math.max(0, 1 - 3 * Math.abs(ridge.data[i])));
    const inNucleus = 1 - smoothstep(0.85, 1.1, nucleus[i]);
    f.data[i] = inNucleus * nucleusLevel + (1 - inNucleus) * cyto;
  }
  return f;
}

/** Negative (A.I.D.A.): faint, smooth autofluorescence, no pattern. */
function negative(g: CellGeometry, rng: Random, look: TextureLook): Field {
  const low = smoothNoise(rng, g.width, g.height, look.grain);
  const f = newField(g.width, g.height);
  for (let i = 0; i < f.data.length; i++) f.data[i] = 1 + look.contrast * low.data[i];
  return blur(f, 1);
}

const RENDERERS: Record<Pattern | 'negative', (g: CellGeometry, rng: Random, look: TextureLook) => Field> = {
  homogeneous,
  fine_speckled: fineSpeckled,
  coarse_speckled: coarseSpeckled,
  nucleolar,
  centromere,
  cytoplasmatic,
  negative,
};

/**
 * The stain of one cell: non-negative inside the mask, 0 outside, with mean
 * 1 over the mask (so the class cannot be read off the brightness).
 */
export function renderStain(pattern: Pattern | 'negative', g: CellGeometry, rng: Random, look: TextureLook): Field {
  const f = RENDERERS[pattern](g, rng, jitterLook(look, rng));
  let sum = 0, n = 0;
  for (let i = 0; i < f.data.length; i++) {
    if (g.mask[i]) {
      f.data[i] = Math.max(0, f.data[i]);
      sum += f.data[i];
      n++;
    } else {
      f.data[i] = 0;
    }
  }
  const scale = sum > 0 ? n / sum : 0;
  for (let i = 0; i < f.data.length; i++) f.data[i] *= scale;
  return f;
}
