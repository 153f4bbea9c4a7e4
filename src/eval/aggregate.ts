// Per-image predictions from per-cell scores (cells cut from one field image
// share its labels): the mean or the max of each label's score over the cells.

export interface AggregatedScores {
  /** Image ids, in order of first appearance. */
  images: string[];
  /** One row per image: the aggregated score of each label. */
  rows: number[][];
  /** Cells per image. */
  cells: number[];
}

export function aggregateByImage(imageOf: readonly string[], rows: ArrayLike<number>[], how: 'mean' | 'max'): AggregatedScores {
  if (imageOf.length !== rows.length) throw new RangeError(`${imageOf.length} image ids for ${rows.length} score rows: give one per cell.`);
  const index = new Map<string, number>();
  const out: number[][] = [];
  const cells: number[] = [];
  rows.forEach((row, i) => {
    let k = index.get(imageOf[i]);
    if (k === undefined) {
      k = out.length;
      index.set(imageOf[i], k);
      out.push(Array.from(row));
      cells.push(1);
      return;
    }
    const acc = out[k];
    for (let c = 0; c < acc.length; c++) acc[c] = how === 'max' ? Math.max(acc[c], row[c]) : acc[c] + row[c];
    cells[k]++;
  });
  if (how === 'mean') out.forEach((r, k) => { for (let c = 0; c < r.length; c++) r[c] /= cells[k]; });
  return { images: [...index.keys()], rows: out, cells };
}
