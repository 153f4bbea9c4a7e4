// Per-class and averaged precision/recall/F1 from a confusion matrix, following
// scikit-learn's conventions: an undefined ratio (0/0) counts as 0 ("zero_division=0"),
// and macro averages run over every class, also those absent from truth and predictions.

export interface ClassScores { precision: number; recall: number; f1: number; support: number }

function ratio(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

export function perClassScores(matrix: number[][]): ClassScores[] {
  const n = matrix.length;
  return matrix.map((row, c) => {
    const tp = row[c];
    const support = row.reduce((s, v) => s + v, 0);
    let predicted = 0;
    for (let r = 0; r < n; r++) predicted += matrix[r][c];
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, support);
    const f1 = ratio(2 * precision * recall, precision + recall);
    return { precision, recall, f1, support };
  });
}

export interface AveragedScores {
  accuracy: number;
  /** Mean recall over the classes present in the truth (scikit-learn's balanced_accuracy_score). */
  balancedAccuracy: number;
  macro: { precision: number; recall: number; f1: number };
  weighted: { precision: number; recall: number; f1: number };
  micro: { precision: number; recall: number; f1: number };
}

export function averagedScores(matrix: number[][], per: ClassScores[]): AveragedScores {
  const n = matrix.length;
  let total = 0, correct = 0;
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) { total += matrix[r][c]; if (r === c) correct += matrix[r][c]; }
  const mean = (k: 'precision' | 'recall' | 'f1') => per.reduce((s, p) => s + p[k], 0) / n;
  const weighted = (k: 'precision' | 'recall' | 'f1') => ratio(per.reduce((s, p) => s + p[k] * p.support, 0), total);
  const present = per.filter((p) => p.support > 0);
  const accuracy = ratio(correct, total);
  return {
    accuracy,
    balancedAccuracy: present.reduce((s, p) => s + p.recall, 0) / present.length,
    macro: { precision: mean('precision'), recall: mean('recall'), f1: mean('f1') },
    weighted: { precision: weighted('precision'), recall: weighted('recall'), f1: weighted('f1') },
    // Single-label classification over all classes: micro P = R = F1 = accuracy.
    micro: { precision: accuracy, recall: accuracy, f1: accuracy },
  };
}
