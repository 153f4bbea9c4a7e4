// k-nearest-neighbour classification on embeddings, the standard quick judge
// of a self-supervised representation (as InstDisc / DINO monitor it): the k
// most cosine-similar training rows vote for their class, each with weight
// exp(similarity / temperature); temperature Infinity gives equal votes.
import { topKNeighbours } from './similarity';

export interface KnnOptions {
  k: number;
  numClasses: number;
  /** Vote weight exp(sim / temperature); default 0.07. Infinity: one vote each (scikit-learn's `uniform`). */
  temperature?: number;
}

export interface KnnResult {
  /** Winning class per query (ties: the lower class index). */
  predictions: number[];
  /** Vote shares per query and class (rows sum to 1). */
  scores: number[][];
}

export function knnClassify(train: number[][], trainLabels: ArrayLike<number>, queries: number[][], o: KnnOptions): KnnResult {
  if (train.length !== trainLabels.length) throw new RangeError(`${train.length} training rows but ${trainLabels.length} labels.`);
  if (train.length === 0) throw new RangeError('k-NN needs at least one training row.');
  const k = Math.min(o.k, train.length);
  const t = o.temperature ?? 0.07;
  const neighbours = queries.length ? topKNeighbours(train, k, { queries }) : [];
  const predictions: number[] = [], scores: number[][] = [];
  for (const ns of neighbours) {
    const votes = new Array<number>(o.numClasses).fill(0);
    // Shifted by the best similarity so exp() cannot overflow at small temperatures.
    const top = ns[0]?.similarity ?? 0;
    for (const n of ns) {
      const label = trainLabels[n.index];
      if (!(label >= 0 && label < o.numClasses)) throw new RangeError(`training label ${label} is outside 0..${o.numClasses - 1}.`);
      votes[label] += Number.isFinite(t) ? Math.exp((n.similarity - top) / t) : 1;
    }
    const total = votes.reduce((a, b) => a + b, 0) || 1;
    let best = 0;
    for (let c = 1; c < votes.length; c++) if (votes[c] > votes[best]) best = c;
    predictions.push(best);
    scores.push(votes.map((v) => v / total));
  }
  return { predictions, scores };
}

/** Share of queries whose k-NN class is their label. */
export function knnAccuracy(train: number[][], trainLabels: ArrayLike<number>, queries: number[][], queryLabels: ArrayLike<number>, o: KnnOptions): number {
  if (queries.length !== queryLabels.length) throw new RangeError(`${queries.length} queries but ${queryLabels.length} labels.`);
  if (queries.length === 0) return NaN;
  const { predictions } = knnClassify(train, trainLabels, queries, o);
  return predictions.filter((p, i) => p === queryLabels[i]).length / queries.length;
}
