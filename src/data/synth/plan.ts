// Who is in the data set before any pixel is drawn: specimens (one pattern
// each, one side of the split each), how many cells each holds, the cell IDs
// and which cells carry a planted anomaly.
import type { Random } from '../../engine/random';
import { DataError } from '../bad-input';
import { ICPR2012_COUNTS, ICPR2012_TOTAL, PATTERNS, type Pattern } from './patterns';
import { ANOMALIES, LOOK_KEYS, type Anomaly, type Intensity, type LookQuantiles } from './specimen';

export type Split = 'training' | 'test' | '';

export interface SpecimenPlan {
  /** Source image number (1..28 for patterns), the group key for grouped splits. */
  specimen: number;
  /** '' for a negative specimen (kind intensity). */
  pattern: Pattern | '';
  intensity: Intensity;
  split: Split;
  /** Where the specimen's imaging settings sit within their ranges (brightness within its intensity class). */
  look: LookQuantiles;
  cells: number;
}

export interface ItemPlan {
  id: number;
  specimen: number;
  pattern: Pattern | '';
  intensity: Intensity;
  split: Split;
  anomaly: Anomaly | '';
}

export interface Plan {
  specimens: SpecimenPlan[];
  items: ItemPlan[];
}

/** ICPR 2012: 28 source images, 14 for training and 14 for test. */
export const SPECIMENS_PER_SIDE: Readonly<Record<Pattern, number>> = {
  homogeneous: 3,
  coarse_speckled: 2,
  fine_speckled: 2,
  nucleolar: 2,
  centromere: 3,
  cytoplasmatic: 2,
};
/** ICPR 2012 training share: 721 of 1,455 cells. */
const TRAINING_SHARE = 721 / ICPR2012_TOTAL;
export const MIN_PATTERNS_N = 2 * Object.values(SPECIMENS_PER_SIDE).reduce((s, k) => s + k, 0);
export const MIN_INTENSITY_N = 8;
/** A.I.D.A.: 582 negative of 2,080 images. */
export const NEGATIVE_SHARE = 582 / 2080;

/**
 * Split `total` into integers proportional to `weights` (largest remainder,
 * ties to the lower index), then lift any below `min` by taking from the
 * largest. Requires total >= weights.length * min.
 */
export function allocate(total: number, weights: readonly number[], min = 0): number[] {
  const sum = weights.reduce((s, w) => s + w, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((s, c) => s + c, 0);
  const order = exact.map((e, i) => ({ r: e - Math.floor(e), i })).sort((p, q) => q.r - p.r || p.i - q.i);
  for (let j = 0; left > 0; j = (j + 1) % order.length, left--) counts[order[j].i]++;
  for (let i = 0; i < counts.length; i++) {
    while (counts[i] < min) {
      let donor = 0;
      for (let j = 1; j < counts.length; j++) if (counts[j] > counts[donor]) donor = j;
      if (counts[donor] <= min) throw new Error(`cannot give ${weights.length} groups at least ${min} of ${total}`);
      counts[donor]--;
      counts[i]++;
    }
  }
  return counts;
}

type PairedBins = { training: number[]; test: number[] };

/** Bins 0..2k-1: one of each pair (2j, 2j+1) per side, each side in random order. */
function pairedBins(k: number, rng: Random): PairedBins {
  const out: PairedBins = { training: [], test: [] };
  for (let j = 0; j < k; j++) {
    const first = rng.bool();
    out.training.push(first ? 2 * j : 2 * j + 1);
    out.test.push(first ? 2 * j + 1 : 2 * j);
  }
  rng.shuffle(out.training);
  rng.shuffle(out.test);
  return out;
}

/** A random Latin-hypercube row per index: each setting evenly spread over `count` specimens. */
function spreadLooks(count: number, rng: Random): LookQuantiles[] {
  const perms = LOOK_KEYS.map(() => rng.shuffle([...Array(count).keys()]));
  return Array.from({ length: count }, (_, i) => {
    const look = {} as LookQuantiles;
    LOOK_KEYS.forEach((key, d) => (look[key] = (perms[d][i] + rng.uniform(0.1, 0.9)) / count));
    return look;
  });
}

/** Pick round(n * fraction) items and give them anomaly kinds in turn. */
function plantAnomalies(items: ItemPlan[], fraction: number, rng: Random): void {
  const count = Math.round(items.length * fraction);
  const chosen = rng.shuffle(items.map((_, i) => i)).slice(0, count).sort((a, b) => a - b);
  chosen.forEach((idx, j) => (items[idx].anomaly = ANOMALIES[j % ANOMALIES.length]));
}

function itemsOf(specimens: SpecimenPlan[], rng: Random): ItemPlan[] {
  const list: Omit<ItemPlan, 'id'>[] = [];
  for (const s of specimens) {
    for (let c = 0; c < s.cells; c++) {
      list.push({ specimen: s.specimen, pattern: s.pattern, intensity: s.intensity, split: s.split, anomaly: '' });
    }
  }
  // Training IDs first, then test, each side in random order (IDs are unique across both).
  const sides = (['training', 'test', ''] as const).map((side) => rng.shuffle(list.filter((x) => x.split === side)));
  return sides.flat().map((x, i) => ({ id: i + 1, ...x }));
}

/** ICPR 2012 layout: 28 specimens, one pattern each, 14 training + 14 test. */
export function planPatterns(n: number, anomalyFraction: number, rng: Random): Plan {
  if (!Number.isInteger(n) || n < MIN_PATTERNS_N) {
    throw new DataError(`n = ${n}: kind 'patterns' needs an integer n >= ${MIN_PATTERNS_N} (one cell per specimen at least)`);
  }
  const classCounts = allocate(n, PATTERNS.map((p) => ICPR2012_COUNTS[p]), 0);
  // Every specimen needs at least one cell: lift small classes (tiny n only).
  PATTERNS.forEach((p, i) => {
    const need = 2 * SPECIMENS_PER_SIDE[p];
    while (classCounts[i] < need) {
      const donor = classCounts.reduce((best, c, j) => (c - 2 * SPECIMENS_PER_SIDE[PATTERNS[j]] > classCounts[best] - 2 * SPECIMENS_PER_SIDE[PATTERNS[best]] ? j : best), 0);
      classCounts[donor]--;
      classCounts[i]++;
    }
  });
  const specimens: SpecimenPlan[] = [];
  PATTERNS.forEach((pattern, i) => {
    const k = SPECIMENS_PER_SIDE[pattern];
    const total = classCounts[i];
    const training = Math.max(k, Math.min(total - k, Math.round(total * TRAINING_SHARE)));
    // Every imaging setting is spread over the pattern's 2k specimens: bins
    // 0..2k-1 in pairs (2j, 2j+1), one of each pair per side. Both sides of
    // every pattern then span dim to bright, sharp to blurred, and so on, so
    // the test split is hard because its specimens are new, not because they
    // fell outside what training saw. The lower brightness half is
    // `intermediate`, the upper `positive`.
    const bins = Object.fromEntries(LOOK_KEYS.map((key) => [key, pairedBins(k, rng)])) as Record<keyof LookQuantiles, PairedBins>;
    for (const side of ['training', 'test'] as const) {
      const cells = allocate(side === 'training' ? training : total - training, Array.from({ length: k }, () => rng.uniform(0.7, 1.3)), 1);
      for (let j = 0; j < k; j++) {
        const look = {} as LookQuantiles;
        for (const key of LOOK_KEYS) look[key] = (bins[key][side][j] + rng.uniform(0.15, 0.85)) / (2 * k);
        const b = bins.brightness[side][j];
        const positive = b >= k;
        look.brightness = ((positive ? b - k : b) + rng.uniform(0.15, 0.85)) / k;
        specimens.push({ specimen: 0, pattern, intensity: positive ? 'positive' : 'intermediate', split: side, look, cells: cells[j] });
      }
    }
  });
  const numbers = rng.shuffle(specimens.map((_, i) => i + 1));
  specimens.forEach((s, i) => (s.specimen = numbers[i]));
  specimens.sort((a, b) => a.specimen - b.specimen);
  const items = itemsOf(specimens, rng);
  plantAnomalies(items, anomalyFraction, rng);
  return { specimens, items };
}

/** A.I.D.A.-like: patients with several images each, ~28% negative patients. */
export function planIntensity(n: number, anomalyFraction: number, rng: Random): Plan {
  if (!Number.isInteger(n) || n < MIN_INTENSITY_N) {
    throw new DataError(`n = ${n}: kind 'intensity' needs an integer n >= ${MIN_INTENSITY_N}`);
  }
  const nSpecimens = Math.max(4, Math.round(n / 8));
  const cells = allocate(n, Array.from({ length: nSpecimens }, () => rng.uniform(0.5, 1.5)), 1);
  // Whole specimens are negative (a patient is negative or positive) until ~28% of images are.
  const target = Math.round(n * NEGATIVE_SHARE);
  const negative = new Set<number>();
  let negCount = 0;
  for (const i of rng.shuffle([...cells.keys()])) {
    if (negCount + cells[i] <= target && negative.size < nSpecimens - 1) {
      negative.add(i);
      negCount += cells[i];
    }
  }
  if (negative.size === 0) negative.add(cells.indexOf(Math.min(...cells)));
  const positives = [...cells.keys()].filter((i) => !negative.has(i));
  const negatives = [...cells.keys()].filter((i) => negative.has(i));
  // Settings spread over positives and over negatives separately, so both
  // classes span the same imaging conditions and their own brightness range.
  const posLooks = spreadLooks(positives.length, rng);
  const negLooks = spreadLooks(negatives.length, rng);
  const weights = PATTERNS.map((p) => ICPR2012_COUNTS[p]);
  const sumW = weights.reduce((s, w) => s + w, 0);
  const drawPattern = (): Pattern => {
    let u = rng.uniform(0, sumW);
    for (let j = 0; j < PATTERNS.length; j++) if ((u -= weights[j]) < 0) return PATTERNS[j];
    return PATTERNS[PATTERNS.length - 1];
  };
  const specimens: SpecimenPlan[] = cells.map((c, i) => {
    const isNeg = negative.has(i);
    return {
      specimen: i + 1,
      pattern: isNeg ? '' : drawPattern(),
      intensity: isNeg ? 'negative' : 'positive',
      split: '',
      look: isNeg ? negLooks[negatives.indexOf(i)] : posLooks[positives.indexOf(i)],
      cells: c,
    };
  });
  const items = itemsOf(specimens, rng);
  plantAnomalies(items, anomalyFraction, rng);
  return { specimens, items };
}
