// Iterative stratification for multi-label data (Sechidis, Tsoumakas & Vlahavas
// 2011, as scikit-multilearn's IterativeStratification with order 1): the rarest
// label is placed first, each of its examples going to the fold that still
// wants most of that label (ties: the fold that wants most examples, then
// random). A unit is an item, or a whole group (plate, specimen) with its
// items' label counts, so a group never straddles folds.
import { Random } from '../engine/random';

export interface StratUnit {
  /** How many of the unit's items carry each label. */
  counts: number[];
  /** Items in the unit. */
  size: number;
}

/**
 * Fold (0..proportions.length-1) of every unit. A label with at least as many units as
 * folds is wanted at least once by every fold, so rare labels reach every side where possible.
 */
export function iterativeAssign(units: StratUnit[], proportions: number[], seed: number): Int32Array {
  const rng = new Random(seed);
  const F = proportions.length;
  const L = units[0]?.counts.length ?? 0;
  const sumP = proportions.reduce((s, p) => s + p, 0);
  const r = proportions.map((p) => p / sumP);
  const total = new Array<number>(L).fill(0);
  const holders = new Array<number>(L).fill(0);
  let items = 0;
  for (const u of units) {
    items += u.size;
    u.counts.forEach((c, l) => { total[l] += c; if (c > 0) holders[l]++; });
  }
  const wantLabel = r.map((p) => total.map((t, l) => (holders[l] >= F ? Math.max(1, t * p) : t * p)));
  const wantSize = r.map((p) => items * p);
  const fold = new Int32Array(units.length).fill(-1);
  // Units in random order: ties between equal units are broken by the seed, not the file order.
  const order = rng.shuffle(units.map((_, i) => i));
  const remaining = [...total];
  const pick = (cands: number[]): number => cands[cands.length === 1 ? 0 : rng.int(cands.length)];
  const assign = (i: number, f: number) => {
    fold[i] = f;
    const u = units[i];
    u.counts.forEach((c, l) => { wantLabel[f][l] -= c; remaining[l] -= c; });
    wantSize[f] -= u.size;
  };
  for (;;) {
    // The label with the fewest examples still to place.
    let min = Infinity;
    let rarest: number[] = [];
    for (let l = 0; l < L; l++) {
      if (remaining[l] <= 0) continue;
      if (remaining[l] < min) { min = remaining[l]; rarest = [l]; } else if (remaining[l] === min) rarest.push(l);
    }
    if (!rarest.length) break;
    const l = pick(rarest);
    for (const i of order) {
      if (fold[i] >= 0 || units[i].counts[l] === 0) continue;
      let best: number[] = [];
      let bestLabel = -Infinity, bestSize = -Infinity;
      // Groups are large units: only folds with room for half of one compete (all, when none has).
      const room = units[i].size > 1 ? wantSize.map((w) => w >= units[i].size / 2) : wantSize.map(() => true);
      const open = room.some(Boolean);
      for (let f = 0; f < F; f++) {
        if (open && !room[f]) continue;
        const a = wantLabel[f][l], b = wantSize[f];
        if (a > bestLabel + 1e-9 || (Math.abs(a - bestLabel) <= 1e-9 && b > bestSize + 1e-9)) { best = [f]; bestLabel = a; bestSize = b; }
        else if (Math.abs(a - bestLabel) <= 1e-9 && Math.abs(b - bestSize) <= 1e-9) best.push(f);
      }
      assign(i, pick(best));
    }
  }
  // Units without labels go where examples are still wanted most.
  for (const i of order) {
    if (fold[i] >= 0) continue;
    let best: number[] = [];
    let bestSize = -Infinity;
    for (let f = 0; f < F; f++) {
      if (wantSize[f] > bestSize + 1e-9) { best = [f]; bestSize = wantSize[f]; } else if (Math.abs(wantSize[f] - bestSize) <= 1e-9) best.push(f);
    }
    assign(i, pick(best));
  }
  return fold;
}

/**
 * Fold of every item from its label indices: per item, or per group (every item of a
 * group gets its group's fold) when `groups` is given.
 */
export function iterativeItemAssign(labels: number[][], numLabels: number, proportions: number[], seed: number, groups?: string[]): Int32Array {
  const keys = groups ?? labels.map((_, i) => String(i));
  const unitOf = new Map<string, number>();
  const units: StratUnit[] = [];
  labels.forEach((ls, i) => {
    let u = unitOf.get(keys[i]);
    if (u === undefined) {
      u = units.length;
      unitOf.set(keys[i], u);
      units.push({ counts: new Array<number>(numLabels).fill(0), size: 0 });
    }
    units[u].size++;
    for (const l of ls) units[u].counts[l]++;
  });
  const unitFold = iterativeAssign(units, proportions, seed);
  return Int32Array.from(keys, (k) => unitFold[unitOf.get(k)!]);
}
