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
  /** Labels without their own threshold (too few positives, or no negatives, in the split): they use `fallback` (the global threshold). */
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
 * threshold; a label with fewer than `minPositives` positives there (default 1), or no
 * negatives, takes the global threshold instead (few positives make a label's own threshold
 * noise); global: the threshold maximising micro F1 over every (sample, label) cell; either
 * falls back to `fallback` (default 0.5) when the split has no positives at all. fixed:
 * `threshold` (default 0.5); top-k: `k` labels per sample.
 */
export function chooseLabelDecision(kind: LabelDecisionKind, scores: ArrayLike<number>[], truth: ArrayLike<number>[],
  classNames: string[], o: { threshold?: number; k?: number; fallback?: number; minPositives?: number } = {}): LabelDecision {
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
  const s: number[] = [], y: (0 | 1)[] = [];
  scores.forEach((row, i) => { for (let c = 0; c < K; c++) { s.push(row[c]); y.push(truth[i][c] ? 1 : 0); } });
  const global = y.includes(1) && y.includes(0) ? searchThreshold(s, y, { metric: 'f1' }) : undefined;
  const fallback = global?.threshold ?? o.fallback ?? 0.5;
  if (kind === 'global') {
    return { kind, thresholds: new Array(K).fill(fallback), fellBack: global ? [] : [...classNames], fallback, chosenValue: global?.value };
  }
  const minPositives = Math.max(1, o.minPositives ?? 1);
  const thresholds: number[] = [], values: number[] = [], fellBack: string[] = [];
  for (let c = 0; c < K; c++) {
    const yc = column(truth, c).map((v) => (v ? 1 : 0) as 0 | 1);
    const positives = yc.reduce<number>((a, v) => a + v, 0);
    if (positives < minPositives || positives === yc.length) {
      thresholds.push(fallback);
      values.push(NaN);
      fellBack.push(classNames[c]);
      continue;
    }
    const r = searchThreshold(column(scores, c), yc, { metric: 'f1' });
    thresholds.push(r.threshold);
    values.push(r.value);
  }
  return { kind, thresholds, fellBack, fallback, chosenValue: values };
}

/** One line saying how predictions were made, for tags and titles. */
export function describeLabelDecision(d: LabelDecision, classNames: string[]): string {
  if (d.kind === 'top-k') return `the ${d.k} highest-scoring label(s) of each image`;
  if (d.kind === 'fixed') return `score >= ${d.thresholds[0]} for every label`;
  const fb = d.fellBack.length ? `; ${d.fellBack.length} label(s) with too few validation positives use ${d.kind === 'per-label' ? 'the global threshold ' : ''}${fmt(d.fallback ?? NaN)}: ${d.fellBack.join(', ')}` : '';
  if (d.kind === 'global') return `score >= ${fmt(d.thresholds[0])} for every label (maximises micro F1 on validation)${fb}`;
  return `per-label thresholds maximising each label's F1 on validation: ${classNames.map((c, i) => `${c} ${fmt(d.thresholds[i])}`).join(', ')}${fb}`;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toPrecision(3) : String(x);
}
