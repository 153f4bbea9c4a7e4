// Class weights for imbalanced sets: `inverse` = N / (K * n_c) (scikit-learn's
// "balanced"), `one-minus-frequency` = 1 - n_c / N (the protein study), an
// explicit {class: weight} map (classes not named get 1), or `none`. Multi-label
// data gets a positive weight per label instead (computeLabelWeights).
import type { DatasetItem } from './types';
import type { ClassWeightsConfig } from './schema';
import { DataError } from './bad-input';

export interface ClassWeights {
  /** Weight of each class, in `classes` order. */
  perClass: number[];
  /** Weight of each given label/item, in input order. */
  perSample: Float32Array;
  /** Training items per class. */
  counts: number[];
}

/**
 * Weights from the training labels: class indices, class names, or items.
 * Every class must occur (a class with no training items cannot be weighted).
 */
export function computeClassWeights(labels: ArrayLike<number> | readonly string[] | readonly DatasetItem[], classes: readonly string[],
  spec: ClassWeightsConfig = 'none'): ClassWeights {
  const index = new Map(classes.map((c, i) => [c.toLowerCase(), i]));
  const idx = Array.from(labels as ArrayLike<number | string | DatasetItem>, (l) => {
    if (typeof l === 'number') return l;
    const name = typeof l === 'string' ? l : l.label;
    const i = index.get(name.toLowerCase());
    if (i === undefined) throw new DataError(`label '${name}' is not one of the classes ${classes.join(', ')}`);
    return i;
  });
  const K = classes.length;
  const N = idx.length;
  const counts = new Array(K).fill(0);
  for (const i of idx) {
    if (!(i >= 0 && i < K)) throw new DataError(`class index ${i} is outside 0..${K - 1} (${K} classes)`);
    counts[i]++;
  }
  let perClass: number[];
  if (spec === 'none') perClass = new Array(K).fill(1);
  else if (spec === 'inverse' || spec === 'one-minus-frequency') {
    const empty = classes.filter((_, c) => counts[c] === 0);
    if (empty.length) {
      throw new DataError(`dataset.classWeights ${spec} needs training items of every class; none for ${empty.join(', ')}. Fix the split or the class list`);
    }
    perClass = counts.map((n) => (spec === 'inverse' ? N / (K * n) : 1 - n / N));
  } else {
    const unknown = Object.keys(spec).filter((k) => !index.has(k.toLowerCase()));
    if (unknown.length) {
      throw new DataError(`dataset.classWeights names ${unknown.map((u) => `'${u}'`).join(', ')}, not a class. Classes: ${classes.join(', ')}`);
    }
    perClass = new Array(K).fill(1);
    for (const [k, w] of Object.entries(spec)) perClass[index.get(k.toLowerCase())!] = w;
  }
  return { perClass, perSample: Float32Array.from(idx, (i) => perClass[i]), counts };
}

/**
 * Multi-label: a positive weight per label (BCE's pos_weight) from the training label
 * sets, `targets` = 0/1 per item and label. `one-minus-frequency`: 1 - n_c / N (the
 * protein study's w_c, n_c = training images carrying label c); `inverse`: (N - n_c) / n_c,
 * negatives per positive, so each label's positives weigh as much as its negatives
 * (PyTorch's pos_weight recipe); a map names labels (others 1); `none`: all 1.
 */
export function computeLabelWeights(targets: ArrayLike<number>, classes: readonly string[], spec: ClassWeightsConfig = 'none'): ClassWeights {
  const K = classes.length;
  const N = Math.floor(targets.length / K);
  const counts = new Array<number>(K).fill(0);
  for (let i = 0; i < N; i++) for (let c = 0; c < K; c++) if (targets[i * K + c]) counts[c]++;
  let perClass: number[];
  if (spec === 'none') perClass = new Array(K).fill(1);
  else if (spec === 'inverse' || spec === 'one-minus-frequency') {
    const empty = classes.filter((_, c) => counts[c] === 0);
    if (empty.length) {
      throw new DataError(`dataset.classWeights ${spec} needs training images carrying every label; none carry ${empty.join(', ')}. Fix the split or the class list`);
    }
    perClass = counts.map((n) => (spec === 'inverse' ? (N - n) / n : 1 - n / N));
  } else {
    const index = new Map(classes.map((c, i) => [c.toLowerCase(), i]));
    const unknown = Object.keys(spec).filter((k) => !index.has(k.toLowerCase()));
    if (unknown.length) {
      throw new DataError(`dataset.classWeights names ${unknown.map((u) => `'${u}'`).join(', ')}, not a label. Labels: ${classes.join(', ')}`);
    }
    perClass = new Array(K).fill(1);
    for (const [k, w] of Object.entries(spec)) perClass[index.get(k.toLowerCase())!] = w;
  }
  // Per sample: the mean weight of its labels (for display; the loss weights each label's positive term).
  const perSample = new Float32Array(N);
  for (let i = 0; i < N; i++) {
    let s = 0, n = 0;
    for (let c = 0; c < K; c++) if (targets[i * K + c]) { s += perClass[c]; n++; }
    perSample[i] = n ? s / n : 1;
  }
  return { perClass, perSample, counts };
}
