// The six ICPR 2012 HEp-2 staining patterns and how often each occurs there.

export const PATTERNS = [
  'homogeneous',
  'coarse_speckled',
  'fine_speckled',
  'nucleolar',
  'centromere',
  'cytoplasmatic',
] as const;
export type Pattern = (typeof PATTERNS)[number];

/** Cell counts in the ICPR 2012 contest set (training + test, 1,455 cells). */
export const ICPR2012_COUNTS: Readonly<Record<Pattern, number>> = {
  homogeneous: 327,
  coarse_speckled: 210,
  fine_speckled: 208,
  nucleolar: 244,
  centromere: 357,
  cytoplasmatic: 109,
};

export const ICPR2012_TOTAL = 1455;
