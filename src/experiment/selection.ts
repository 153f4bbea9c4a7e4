// Choosing the best configuration of a sweep: on validation data only, never
// on the reported (test) split. A configuration's score is its mean best-epoch
// validation accuracy across folds; ties go to the lower mean validation loss,
// then to the configuration that comes first in the sweep.

/** What selection reads of a configuration (one or more folds). */
export interface SelectionCandidate {
  /** Mean validation accuracy of the selected epochs across folds (undefined: no validation split). */
  selection?: number;
  /** Mean validation loss at those epochs. */
  selectionLoss?: number;
  /** Smallest trial index of the configuration (sweep order). */
  firstTrial: number;
}

export const NO_VALIDATION_REASON = 'no validation split: set dataset.split.valFraction';

/** Accuracies are ratios of counts; means across folds can differ in the last bits only. */
const TIE = 1e-12;

/** < 0 when a ranks before b. */
export function compareCandidates(a: SelectionCandidate, b: SelectionCandidate): number {
  const sa = a.selection ?? -Infinity, sb = b.selection ?? -Infinity;
  if (Math.abs(sa - sb) > TIE && sa !== sb) return sb - sa;
  const la = a.selectionLoss ?? Infinity, lb = b.selectionLoss ?? Infinity;
  if (Math.abs(la - lb) > TIE && la !== lb) return la - lb;
  return a.firstTrial - b.firstTrial;
}

/**
 * The best candidate, or why there is none. With a single configuration nothing is
 * chosen (no test data can leak into a choice), so it is returned even without validation.
 */
export function pickBest<T extends SelectionCandidate>(candidates: T[]): { best: T | null; reason?: string } {
  if (candidates.length === 0) return { best: null, reason: 'no configuration completed' };
  if (candidates.length === 1) return { best: candidates[0] };
  if (!candidates.some((c) => Number.isFinite(c.selection))) return { best: null, reason: NO_VALIDATION_REASON };
  return { best: [...candidates].sort(compareCandidates)[0] };
}

/** Mean of the finite values, undefined when there are none. */
export function finiteMean(xs: (number | undefined)[]): number | undefined {
  const ok = xs.filter((x): x is number => Number.isFinite(x));
  return ok.length ? ok.reduce((s, v) => s + v, 0) / ok.length : undefined;
}
