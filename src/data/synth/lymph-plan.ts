// Who the synthetic lymphocytosis patients are: label, subtype, clinical
// data and how many of their cells look atypical. Drawn so that neither
// the clinical data nor the images alone tell every patient apart:
//   - reactive: few atypical cells, low lymphocyte count, any age;
//   - malignant, CLL-like: cells that mostly look normal (small, round), but
//     a high count and older age: the metadata finds them, the images hardly;
//   - malignant, lymphoma-like: many atypical cells with a count and age that
//     overlap the reactive ones: the images find them, the metadata hardly.
// The study's set has 50 reactive vs 113 malignant patients (~31% minority).
import type { Random } from '../../engine/random';
import { DLMI_REFERENCE_YEAR } from '../dlmi';

export type LymphSubtype = 'reactive' | 'cll-like' | 'lymphoma-like';

export interface PatientPlan {
  /** `P1`, `P2`, ... as in the DLMI set. */
  id: string;
  /** 1 malignant, 0 reactive, -1 unlabelled (testset/). */
  label: 0 | 1 | -1;
  subtype: LymphSubtype;
  gender: 'M' | 'F' | 'f';
  age: number;
  /** Year of birth: DOB is written as M/D/YYYY. */
  dob: string;
  /** Lymphocytes, 10^9 per litre. */
  count: number;
  /** Share of atypical cells (the tumour burden the images show). */
  atypicalFraction: number;
  /** Cell images (5-50). */
  cells: number;
  /** In testset/ (LABEL -1 in the annotation file). */
  test: boolean;
}

export { DLMI_REFERENCE_YEAR };
/** The study's share of malignant patients: 113 of 163. */
export const MALIGNANT_SHARE = 113 / 163;
export const MIN_CELLS = 5;
export const MAX_CELLS = 50;

const clip = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

function draw(rng: Random, subtype: LymphSubtype): Pick<PatientPlan, 'age' | 'count' | 'atypicalFraction'> {
  switch (subtype) {
    case 'reactive':
      return { age: clip(rng.normal(47, 17), 18, 95), count: clip(Math.exp(rng.normal(Math.log(5.5), 0.4)), 1.5, 60), atypicalFraction: rng.uniform(0, 0.2) };
    case 'cll-like':
      return { age: clip(rng.normal(72, 9), 40, 98), count: clip(Math.exp(rng.normal(Math.log(24), 0.55)), 3, 300), atypicalFraction: rng.uniform(0.02, 0.22) };
    case 'lymphoma-like':
      return { age: clip(rng.normal(60, 14), 25, 95), count: clip(Math.exp(rng.normal(Math.log(7.5), 0.45)), 2, 80), atypicalFraction: rng.uniform(0.4, 0.9) };
  }
}

/** `n` labelled patients (about 69% malignant, as 113/163) plus `testPatients` unlabelled ones. */
export function planPatients(n: number, testPatients: number, rng: Random): PatientPlan[] {
  const malignant = Math.round(n * MALIGNANT_SHARE);
  const labels = rng.shuffle([...Array(malignant).fill(1), ...Array(n - malignant).fill(0), ...Array(testPatients).fill(-1)] as (0 | 1 | -1)[]);
  return labels.map((label, i) => {
    const r = rng.fork('patient', i);
    const hidden = label === -1 ? (r.bool(MALIGNANT_SHARE) ? 1 : 0) : label;
    const subtype: LymphSubtype = hidden === 0 ? 'reactive' : r.bool(0.5) ? 'cll-like' : 'lymphoma-like';
    const d = draw(r, subtype);
    const age = Math.round(d.age);
    const year = DLMI_REFERENCE_YEAR - age;
    const gender = r.bool(0.5) ? 'M' : r.bool(0.1) ? 'f' : 'F';
    return {
      id: `P${i + 1}`, label, subtype, gender, age, dob: `${1 + r.int(12)}/${1 + r.int(28)}/${year}`,
      count: Math.round(d.count * 100) / 100, atypicalFraction: d.atypicalFraction,
      cells: MIN_CELLS + r.int(MAX_CELLS - MIN_CELLS + 1), test: label === -1,
    };
  });
}
