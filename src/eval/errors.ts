// Error analysis on predictions (fastai's plot_top_losses / most_confused):
// which items cost the most loss, which class pairs are confused most often.
import { argmax } from './evaluate';

const EPS = 2.220446049250313e-16;

/** One item's loss: -log of the probability given to its true class (clipped as log_loss). */
export function itemLoss(row: ArrayLike<number>, label: number): number {
  let sum = 0;
  for (let c = 0; c < row.length; c++) sum += Math.min(Math.max(row[c], EPS), 1 - EPS);
  return -Math.log(Math.min(Math.max(row[label], EPS), 1 - EPS) / sum);
}

export interface LossRow {
  /** Row in the predictions. */
  index: number;
  label: number;
  predicted: number;
  /** Probability of the predicted class. */
  probability: number;
  /** Probability of the true class. */
  trueProbability: number;
  loss: number;
}

/**
 * The `n` items with the highest loss, highest first (ties: earlier row first). `predicted`
 * overrides argmax (a binary decision at a threshold chosen on validation).
 */
export function topLosses(labels: number[], scores: number[][], o: { n?: number; predicted?: number[]; onlyWrong?: boolean } = {}): LossRow[] {
  if (labels.length !== scores.length) throw new RangeError(`${labels.length} labels but ${scores.length} score rows`);
  const rows = labels.map((label, index) => {
    const predicted = o.predicted?.[index] ?? argmax(scores[index]);
    return { index, label, predicted, probability: scores[index][predicted], trueProbability: scores[index][label], loss: itemLoss(scores[index], label) };
  });
  return rows.filter((r) => !o.onlyWrong || r.predicted !== r.label)
    .sort((a, b) => b.loss - a.loss || a.index - b.index).slice(0, o.n ?? 16);
}

export interface ConfusedPair { actual: string; predicted: string; count: number }

/** Off-diagonal cells of a confusion matrix (rows = truth), largest count first; at least `min` (default 1). */
export function mostConfused(matrix: number[][], classNames: string[], o: { n?: number; min?: number } = {}): ConfusedPair[] {
  if (matrix.length !== classNames.length) throw new RangeError(`the matrix has ${matrix.length} rows but there are ${classNames.length} classes`);
  const pairs: ConfusedPair[] = [];
  matrix.forEach((row, i) => row.forEach((count, j) => {
    if (i !== j && count >= (o.min ?? 1)) pairs.push({ actual: classNames[i], predicted: classNames[j], count });
  }));
  return pairs.sort((a, b) => b.count - a.count || a.actual.localeCompare(b.actual) || a.predicted.localeCompare(b.predicted)).slice(0, o.n ?? pairs.length);
}
