// The localisations of the synthetic protein set: HPA 2021's names and ids,
// how often images carry them (imbalanced, as in HPA) and which ones go
// together (co-occurrence), and how an image's label set is drawn.
import type { Random } from '../../engine/random';

export const LOCALISATIONS = [
  'Nucleoplasm', 'Nuclear membrane', 'Nucleoli', 'Endoplasmic reticulum', 'Golgi apparatus',
  'Centrosome', 'Plasma membrane', 'Mitochondria', 'Cytosol', 'Vesicles and punctate cytosolic patterns',
] as const;
export type Localisation = (typeof LOCALISATIONS)[number];

/** HPA 2021's label id of each localisation (so `Label` reads as in the real train.csv). */
export const HPA_ID: Readonly<Record<Localisation, number>> = {
  Nucleoplasm: 0, 'Nuclear membrane': 1, Nucleoli: 2, 'Endoplasmic reticulum': 6, 'Golgi apparatus': 7,
  Centrosome: 12, 'Plasma membrane': 13, Mitochondria: 14, Cytosol: 16, 'Vesicles and punctate cytosolic patterns': 17,
};

/** Relative frequency of each localisation as an image's first label (HPA-like imbalance: 12x between most and least common). */
const FIRST: Readonly<Record<Localisation, number>> = {
  Nucleoplasm: 0.30, Cytosol: 0.17, 'Plasma membrane': 0.09, Nucleoli: 0.08, Mitochondria: 0.08,
  'Vesicles and punctate cytosolic patterns': 0.08, 'Golgi apparatus': 0.06, 'Endoplasmic reticulum': 0.05,
  'Nuclear membrane': 0.035, Centrosome: 0.025,
};

/** Partners a localisation tends to come with (multiplies the partner's chance of being the next label). */
const AFFINITY: Partial<Record<Localisation, Partial<Record<Localisation, number>>>> = {
  Nucleoplasm: { Cytosol: 15, Nucleoli: 4, 'Nuclear membrane': 2 },
  Cytosol: { Nucleoplasm: 15, Centrosome: 3, 'Plasma membrane': 2 },
  Nucleoli: { Nucleoplasm: 6 },
  'Nuclear membrane': { Nucleoplasm: 3, 'Endoplasmic reticulum': 3 },
  'Plasma membrane': { 'Vesicles and punctate cytosolic patterns': 4, Cytosol: 3 },
  'Vesicles and punctate cytosolic patterns': { 'Plasma membrane': 4, 'Golgi apparatus': 3, Cytosol: 2 },
  'Golgi apparatus': { 'Vesicles and punctate cytosolic patterns': 4, Cytosol: 2 },
  'Endoplasmic reticulum': { 'Nuclear membrane': 3, Cytosol: 2 },
  Mitochondria: { Cytosol: 2, Nucleoplasm: 1.5 },
  Centrosome: { Cytosol: 4, Nucleoplasm: 2 },
};

/** How many labels an image has: 1 (55%), 2 (35%), 3 (10%). */
const LABEL_COUNTS = [[1, 0.55], [2, 0.35], [3, 0.10]] as const;

function draw<T>(items: readonly T[], weights: number[], rng: Random): T {
  const sum = weights.reduce((s, w) => s + w, 0);
  let u = rng.uniform(0, sum);
  for (let i = 0; i < items.length; i++) if ((u -= weights[i]) < 0) return items[i];
  return items[items.length - 1];
}

/** One image's label set: a first label by frequency, then partners by frequency x affinity to the labels so far. */
export function drawLabels(rng: Random): Localisation[] {
  const k = draw(LABEL_COUNTS.map(([n]) => n), LABEL_COUNTS.map(([, p]) => p), rng);
  const chosen: Localisation[] = [draw(LOCALISATIONS, LOCALISATIONS.map((l) => FIRST[l]), rng)];
  while (chosen.length < k) {
    const left = LOCALISATIONS.filter((l) => !chosen.includes(l));
    const w = left.map((l) => FIRST[l] * chosen.reduce((m, c) => m * (AFFINITY[c]?.[l] ?? 1), 1));
    chosen.push(draw(left, w, rng));
  }
  return [...chosen].sort((a, b) => LOCALISATIONS.indexOf(a) - LOCALISATIONS.indexOf(b));
}
