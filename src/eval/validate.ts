// Input checks shared by the metric functions: errors name the row and the rule broken.

/** Throws unless every label is an integer class index in [0, nClasses). */
export function checkLabels(labels: ArrayLike<number>, nClasses: number, what = 'labels'): void {
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    if (!Number.isInteger(y) || y < 0 || y >= nClasses) {
      throw new RangeError(`${what}[${i}] is ${y}: expected a class index 0..${nClasses - 1}.`);
    }
  }
}

/** Throws unless scores is n rows of nClasses finite numbers. */
export function checkScores(scores: number[][], n: number, nClasses: number): void {
  if (scores.length !== n) {
    throw new RangeError(`scores has ${scores.length} rows but labels has ${n}: give one row of class scores per label.`);
  }
  for (let i = 0; i < n; i++) {
    const row = scores[i];
    if (!row || row.length !== nClasses) {
      throw new RangeError(`scores[${i}] has ${row ? row.length : 0} values: expected one per class (${nClasses}).`);
    }
    for (let c = 0; c < nClasses; c++) {
      if (!Number.isFinite(row[c])) throw new RangeError(`scores[${i}][${c}] is ${row[c]}: scores must be finite numbers.`);
    }
  }
}

/** Throws unless a flat score array is finite and as long as its labels. */
export function checkBinaryScores(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): void {
  if (scores.length !== labels.length) {
    throw new RangeError(`scores has ${scores.length} values but labels has ${labels.length}: they must pair up.`);
  }
  for (let i = 0; i < scores.length; i++) {
    if (Number.isNaN(scores[i])) throw new RangeError(`scores[${i}] is NaN: scores must be numbers.`);
    const y = labels[i];
    if (y !== 0 && y !== 1 && y !== true && y !== false) {
      throw new RangeError(`labels[${i}] is ${String(y)}: binary labels must be 0/1 (or true/false).`);
    }
  }
}
