// Cross-entropy of class probabilities, as scikit-learn's log_loss: probabilities clipped to
// [eps, 1 - eps] (eps = float64 machine epsilon), rows renormalised to sum to 1.
const EPS = 2.220446049250313e-16;

/** Mean log loss, or NaN when the scores are not probabilities (a value outside [0, 1]). */
export function logLoss(labels: ArrayLike<number>, probabilities: number[][]): number {
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    const row = probabilities[i];
    let sum = 0;
    for (const p of row) {
      if (p < 0 || p > 1) return NaN;
      sum += Math.min(Math.max(p, EPS), 1 - EPS);
    }
    const p = Math.min(Math.max(row[labels[i]], EPS), 1 - EPS) / sum;
    total -= Math.log(p);
  }
  return total / labels.length;
}
