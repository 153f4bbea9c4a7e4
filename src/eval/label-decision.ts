// How multi-label scores become label sets: one threshold per label (each
// chosen to maximise that label's F1), one global threshold (fixed, or chosen
// to maximise micro F1), or the k best-scoring labels of each sample.
// Thresholds are chosen on one split (validation) and applied to another.
import { searchThreshold } from './threshold';

export type LabelDecisionKind = 'per-label' | 'global' | 'fixed' | 'top-k';
export const LABEL_DECISIONS: readonly LabelDecisionKind[] = ['per-label', 'global', 'fixed', 'top-k'];

export interface LabelDecision {
  kind: LabelDecisionKind;
  /** One threshold per label (per-label; global and fixed repeat theirs); empty for top-k. */
  thresholds: number[];
  /** top-k: labels predicted per sample. */
  k?: number;
  /** Labels whose threshold could not be chosen (no positives or no negatives in the split): they use `fallback`. */
  fellBack: string[];
  fallback?: number;
  /** Per-label: each label's F1 on the split the thresholds were chosen on; global: the micro F1 there. */
  chosenValue?: number[] | number;
}

/** Predict label c of a sample when its score >= threshold c (top-k: the k highest scores, first index on ties). */
export function applyLabelDecision(scores: ArrayLike<number>[], d: Pick<LabelDecision, 'kind' | 'thresholds' | 'k'>): number[][] {
  if (d.kind === 'top-k') {
    const k = d.k ?? 1;
    return scores.map((row) => {
      const order = Array.from({ length: row.length }, (_, c) => c).sort((a, b) => row[b] - row[a] || a - b);
      const out = new Array<number>(row.length).fill(0);
      for (const c of order.slice(0, k)) out[c] = 1;
      return out;
    });
  }
  return scores.map((row) => Array.from(row, (v, c) => (v >= d.thresholds[c] ? 1 : 0)));
}

function column(m: ArrayLike<number>[], c: number): number[] {
  return m.map((r) => r[c]);
}

/**
 * Choose a decision on (validation) scores and truth. per-label: each label's F1-maximising
 * threshold (a label with one value only in the truth falls back to `fallback`, default 0.5);
 * global: the threshold maximising micro F1 over every (sample, label) cell; fixed: `threshold`
 * (default 0.5); top-k: `k` labels per sample.
 */
export function chooseLabelDecision(kind: LabelDecisionKind, scores: ArrayLike<number>[], truth: ArrayLike<number>[],
  classNames: string[], o: { threshold?: number; k?: number; fallback?: number } = {}): LabelDecision {
  const K = classNames.length;
  if (!LABEL_DECISIONS.includes(kind)) throw new RangeError(`label decision \`${kind}\` is not available. Available: ${LABEL_DECISIONS.join(', ')}.`);
  if (scores.length !== truth.length) throw new RangeError(`${scores.length} score rows for ${truth.length} truth rows.`);
  if (kind === 'top-k') {
    const k = o.k ?? 1;
    if (!(Number.isInteger(k) && k >= 1 && k <= K)) throw new RangeError(`top-k needs 1 <= k <= ${K} (the number of labels), got ${k}.`);
    return { kind, thresholds: [], k, fellBack: [] };
  }
  if (kind === 'fixed') {
    const t = o.threshold ?? 0.5;
    return { kind, thresholds: new Array(K).fill(t), fellBack: [] };
  }
  const fallback = o.fallback ?? 0.5;
  if (kind === 'global') {
    const s: number[] = [], y: (0 | 1)[] = [];
    scores.forEach((row, i) => { for (let c = 0; c < K; c++) { s.push(row[c]); y.push(truth[i][c] ? 1 : 0); } });
    if (!y.includes(1) || !y.includes(0)) return { kind, thresholds: new Array(K).fill(fallback), fellBack: [...classNames], fallback };
    const r = searchThreshold(s, y, { metric: 'f1' });
    return { kind, thresholds: new Array(K).fill(r.threshold), fellBack: [], chosenValue: r.value };
  }
  const thresholds: number[] = [], values: number[] = [], fellBack: string[] = [];
  for (let c = 0; c < K; c++) {
    const y = column(truth, c).map((v) => (v ? 1 : 0) as 0 | 1);
    if (!y.includes(1) || !y.includes(0)) {
      thresholds.push(fallback);
      values.push(NaN);
      fellBack.push(classNames[c]);
      continue;
    }
    const r = searchThreshold(column(scores, c), y, { metric: 'f1' });
    thresholds.push(r.threshold);
    values.push(r.value);
  }
  return { kind, thresholds, fellBack, fallback, chosenValue: values };
}

/** One line saying how predictions were made, for tags and titles. */
export function describeLabelDecision(d: LabelDecision, classNames: string[]): string {
  if (d.kind === 'top-k') return `the ${d.k} highest-scoring label(s) of each image`;
  if (d.kind === 'fixed') return `score >= ${d.thresholds[0]} for every label`;
  const fb = d.fellBack.length ? `; ${d.fellBack.length} label(s) without both values in validation use ${d.fallback}: ${d.fellBack.join(', ')}` : '';
  if (d.kind === 'global') return `score >= ${fmt(d.thresholds[0])} for every label (maximises micro F1 on validation)${fb}`;
  return `per-label thresholds maximising each label's F1 on validation: ${classNames.map((c, i) => `${c} ${fmt(d.thresholds[i])}`).join(', ')}${fb}`;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toPrecision(3) : String(x);
}
