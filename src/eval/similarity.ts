import { searchThreshold, type ThresholdMetric, type ThresholdResult } from './threshold';

function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/** Cosine similarity of two vectors (0 when either is all zeros). */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`vectors of length ${a.length} and ${b.length}: cosine similarity needs equal lengths.`);
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i] * b[i];
  const d = norm(a) * norm(b);
  return d === 0 ? 0 : dot / d;
}

/**
 * The similarity threshold that best separates "same class" pairs from the others (the
 * histology query study: maximise accuracy). Pair i is (left[i], right[i]); a pair is
 * called "same" when its cosine similarity >= threshold.
 */
export function searchSimilarityThreshold(
  left: number[][],
  right: number[][],
  same: ArrayLike<0 | 1 | boolean>,
  o: { metric?: ThresholdMetric; minSensitivity?: number } = {},
): ThresholdResult & { similarities: number[] } {
  if (left.length !== right.length || left.length !== same.length) {
    throw new RangeError(`left (${left.length}), right (${right.length}) and same (${same.length}) must have one entry per pair.`);
  }
  const similarities = left.map((a, i) => cosineSimilarity(a, right[i]));
  return { ...searchThreshold(similarities, same, { metric: o.metric ?? 'accuracy', minSensitivity: o.minSensitivity }), similarities };
}

export interface Neighbour { index: number; similarity: number }

/**
 * The k most cosine-similar rows of `embeddings` for each query. Without queries, each row
 * of `embeddings` is a query and is left out of its own neighbours. Ties: lower index first.
 */
export function topKNeighbours(embeddings: number[][], k: number, o: { queries?: number[][] } = {}): Neighbour[][] {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k is ${k}: expected a positive integer.`);
  const unit = (v: number[]) => { const n = norm(v); return n === 0 ? v.map(() => 0) : v.map((x) => x / n); };
  const base = embeddings.map(unit);
  const self = o.queries === undefined;
  const queries = self ? base : o.queries!.map(unit);
  return queries.map((q, qi) => {
    if (base.length && q.length !== base[0].length) throw new RangeError(`query ${qi} has ${q.length} values but embeddings have ${base[0].length}.`);
    const found: Neighbour[] = [];
    for (let i = 0; i < base.length; i++) {
      if (self && i === qi) continue;
      let s = 0;
      const b = base[i];
      for (let j = 0; j < q.length; j++) s += q[j] * b[j];
      // Insert into the sorted top-k list (k is small).
      if (found.length === k && s <= found[k - 1].similarity) continue;
      let at = found.length;
      while (at > 0 && found[at - 1].similarity < s) at--;
      found.splice(at, 0, { index: i, similarity: s });
      if (found.length > k) found.pop();
    }
    return found;
  });
}
