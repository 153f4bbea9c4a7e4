// Fold assignment for k-fold splits, seeded. Each returns the fold (0..k-1)
// of every item; the same seed gives the same assignment for every fold of
// a sweep, so the k trials partition the data.
import { Random } from '../engine/random';

/** Plain k-fold: shuffled, dealt round-robin (fold sizes differ by at most one). */
export function kfoldAssign(n: number, k: number, seed: number): Int32Array {
  const order = new Random(seed).shuffle(Array.from({ length: n }, (_, i) => i));
  const fold = new Int32Array(n);
  order.forEach((idx, pos) => { fold[idx] = pos % k; });
  return fold;
}

/** Stratified k-fold: each class shuffled and dealt round-robin, continuing the rotation across classes. */
export function stratifiedAssign(labels: string[], k: number, seed: number): Int32Array {
  const rng = new Random(seed);
  const fold = new Int32Array(labels.length);
  const byClass = new Map<string, number[]>();
  labels.forEach((l, i) => byClass.set(l, [...(byClass.get(l) ?? []), i]));
  let next = 0;
  for (const label of [...byClass.keys()].sort()) {
    for (const idx of rng.shuffle(byClass.get(label)!)) fold[idx] = next++ % k;
  }
  return fold;
}

/** Group k-fold: groups shuffled, largest first, each to the fold with the fewest items (as scikit-learn's GroupKFold). */
export function groupAssign(groups: string[], k: number, seed: number): Int32Array {
  const members = new Map<string, number[]>();
  groups.forEach((g, i) => members.set(g, [...(members.get(g) ?? []), i]));
  const names = new Random(seed).shuffle([...members.keys()].sort());
  names.sort((a, b) => members.get(b)!.length - members.get(a)!.length);
  const sizes = new Array(k).fill(0);
  const fold = new Int32Array(groups.length);
  for (const g of names) {
    let best = 0;
    for (let f = 1; f < k; f++) if (sizes[f] < sizes[best]) best = f;
    for (const i of members.get(g)!) fold[i] = best;
    sizes[best] += members.get(g)!.length;
  }
  return fold;
}

function std(xs: number[]): number {
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length);
}

/**
 * Stratified group k-fold (scikit-learn's StratifiedGroupKFold with shuffle):
 * groups in random order, then by how uneven their class mix is; each goes to
 * the fold that keeps every class's share across folds most even.
 */
export function stratifiedGroupAssign(labels: string[], groups: string[], k: number, seed: number): Int32Array {
  const classes = [...new Set(labels)].sort();
  const ci = new Map(classes.map((c, i) => [c, i]));
  const C = classes.length;
  const perGroup = new Map<string, { items: number[]; counts: number[] }>();
  groups.forEach((g, i) => {
    const e = perGroup.get(g) ?? { items: [] as number[], counts: new Array<number>(C).fill(0) };
    e.items.push(i);
    e.counts[ci.get(labels[i])!]++;
    perGroup.set(g, e);
  });
  const total = new Array(C).fill(0);
  labels.forEach((l) => total[ci.get(l)!]++);
  const names = new Random(seed).shuffle([...perGroup.keys()].sort());
  const spread = (g: string) => std(perGroup.get(g)!.counts);
  names.sort((a, b) => spread(b) - spread(a));
  const foldCounts = Array.from({ length: k }, () => new Array(C).fill(0));
  const foldSizes = new Array(k).fill(0);
  const fold = new Int32Array(labels.length);
  for (const g of names) {
    const { items, counts } = perGroup.get(g)!;
    let best = -1, bestScore = Infinity;
    for (let f = 0; f < k; f++) {
      for (let c = 0; c < C; c++) foldCounts[f][c] += counts[c];
      // Mean over classes of the std, across folds, of each fold's share of the class.
      let score = 0;
      for (let c = 0; c < C; c++) score += std(foldCounts.map((fc) => fc[c] / total[c]));
      score /= C;
      for (let c = 0; c < C; c++) foldCounts[f][c] -= counts[c];
      if (score < bestScore - 1e-12 || (Math.abs(score - bestScore) <= 1e-12 && foldSizes[f] < foldSizes[best])) {
        best = f;
        bestScore = score;
      }
    }
    for (let c = 0; c < C; c++) foldCounts[best][c] += counts[c];
    foldSizes[best] += items.length;
    for (const i of items) fold[i] = best;
  }
  return fold;
}
