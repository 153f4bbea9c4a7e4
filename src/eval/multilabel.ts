// Multi-label metrics (several labels per sample, an indicator matrix of truth
// and of decisions) with scikit-learn's definitions: precision_recall_fscore_support
// with average None/micro/macro/weighted/samples and zero_division=0,
// accuracy_score (subset accuracy), hamming_loss, roc_auc_score and
// average_precision_score per label.
import { prCurve } from './precision-recall';
import { rocCurve } from './roc';

export interface LabelScores {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Samples that carry the label. */
  support: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  /** ROC AUC of the label's scores; NaN when the truth holds only one value for it. */
  auc: number;
  /** Average precision; NaN when no sample carries the label. */
  averagePrecision: number;
}

export interface PrfAverage { precision: number; recall: number; f1: number }

export interface MultiLabelEvaluation {
  classNames: string[];
  /**
   * Bare snake_case metric names. `accuracy` is subset accuracy (scikit-learn's accuracy_score
   * on indicator matrices); `auc` is the mean ROC AUC and `mean_ap` the mean average
   * precision over the labels where they are defined (scikit-learn raises, or counts 0, for
   * a label absent from the truth: here it is left out and `labels_without_positives` says how many).
   */
  metrics: Record<string, number>;
  perLabel: LabelScores[];
  micro: PrfAverage;
  macro: PrfAverage;
  weighted: PrfAverage;
  samples: PrfAverage;
  /** The decisions evaluated (0/1 per sample and label). */
  predicted: number[][];
  /** Per-label precision-recall curves (undefined labels have empty curves). */
  pr: { className: string; precision: number[]; recall: number[]; thresholds: number[]; averagePrecision: number }[];
  roc: { className: string; fpr: number[]; tpr: number[]; thresholds: number[]; auc: number }[];
}

export interface EvaluateMultiLabelOptions {
  /** 0/1 per sample and label. */
  truth: ArrayLike<number>[];
  /** One score per label (a probability, for thresholds to mean anything). */
  scores: ArrayLike<number>[];
  classNames: string[];
  /** The decisions to evaluate (0/1); default: score >= 0.5. */
  predicted?: ArrayLike<number>[];
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
const f1Of = (p: number, r: number) => (p + r === 0 ? 0 : (2 * p * r) / (p + r));

function checkMatrix(name: string, m: ArrayLike<number>[], n: number, k: number, binary: boolean): void {
  if (m.length !== n) throw new RangeError(`${name} has ${m.length} rows for ${n} samples.`);
  m.forEach((row, i) => {
    if (row.length !== k) throw new RangeError(`${name} row ${i} has ${row.length} values; there are ${k} labels.`);
    for (let c = 0; c < k; c++) {
      const v = row[c];
      if (binary ? v !== 0 && v !== 1 : !Number.isFinite(v)) {
        throw new RangeError(`${name}[${i}][${c}] is ${v}: expected ${binary ? '0 or 1' : 'a finite number'}.`);
      }
    }
  });
}

/** Micro/macro/weighted precision, recall and F1 from per-label counts (scikit-learn's conventions). */
export function averagePrf(per: Pick<LabelScores, 'precision' | 'recall' | 'f1' | 'support' | 'tp' | 'fp' | 'fn'>[]): { micro: PrfAverage; macro: PrfAverage; weighted: PrfAverage } {
  const k = per.length;
  let tp = 0, fp = 0, fn = 0, support = 0;
  for (const p of per) { tp += p.tp; fp += p.fp; fn += p.fn; support += p.support; }
  const mp = ratio(tp, tp + fp), mr = ratio(tp, tp + fn);
  const mean = (key: 'precision' | 'recall' | 'f1') => per.reduce((s, p) => s + p[key], 0) / k;
  const weighted = (key: 'precision' | 'recall' | 'f1') => ratio(per.reduce((s, p) => s + p[key] * p.support, 0), support);
  return {
    micro: { precision: mp, recall: mr, f1: f1Of(mp, mr) },
    macro: { precision: mean('precision'), recall: mean('recall'), f1: mean('f1') },
    weighted: { precision: weighted('precision'), recall: weighted('recall'), f1: weighted('f1') },
  };
}

/** Every multi-label metric of the studies, checked against scikit-learn. */
export function evaluateMultiLabel(o: EvaluateMultiLabelOptions): MultiLabelEvaluation {
  const { truth, scores, classNames } = o;
  const n = truth.length, k = classNames.length;
  if (k < 1) throw new RangeError('classNames is empty: a multi-label evaluation needs at least one label.');
  if (n === 0) throw new RangeError('truth is empty: nothing to evaluate.');
  checkMatrix('truth', truth, n, k, true);
  checkMatrix('scores', scores, n, k, false);
  const predicted = (o.predicted ?? scores.map((row) => Array.from(row, (v) => (v >= 0.5 ? 1 : 0)))).map((r) => Array.from(r));
  checkMatrix('predicted', predicted, n, k, true);

  const perLabel: LabelScores[] = classNames.map((label, c) => {
    let tp = 0, fp = 0, fn = 0, tn = 0;
    for (let i = 0; i < n; i++) {
      const t = truth[i][c], p = predicted[i][c];
      if (t && p) tp++; else if (p) fp++; else if (t) fn++; else tn++;
    }
    const precision = ratio(tp, tp + fp), recall = ratio(tp, tp + fn);
    return { label, precision, recall, f1: f1Of(precision, recall), support: tp + fn, tp, fp, fn, tn, auc: NaN, averagePrecision: NaN };
  });
  const pr: MultiLabelEvaluation['pr'] = [];
  const roc: MultiLabelEvaluation['roc'] = [];
  classNames.forEach((className, c) => {
    const column = scores.map((row) => row[c]);
    const isPos = (i: number) => truth[i][c] === 1;
    const r = rocCurve(column, isPos);
    const p = prCurve(column, isPos);
    perLabel[c].auc = r.auc;
    perLabel[c].averagePrecision = p.averagePrecision;
    roc.push({ className, ...r });
    pr.push({ className, precision: p.precision, recall: p.recall, thresholds: p.thresholds, averagePrecision: p.averagePrecision });
  });

  const { micro, macro, weighted } = averagePrf(perLabel);
  // Samples average: each sample's own precision/recall/F1 over its labels, then the mean.
  let sp = 0, sr = 0, sf = 0, exact = 0, wrong = 0;
  for (let i = 0; i < n; i++) {
    let tp = 0, fp = 0, fn = 0;
    for (let c = 0; c < k; c++) {
      const t = truth[i][c], p = predicted[i][c];
      if (t && p) tp++; else if (p) fp++; else if (t) fn++;
    }
    const p = ratio(tp, tp + fp), r = ratio(tp, tp + fn);
    sp += p; sr += r; sf += f1Of(p, r);
    if (fp === 0 && fn === 0) exact++;
    wrong += fp + fn;
  }
  const samples = { precision: sp / n, recall: sr / n, f1: sf / n };

  const metrics: Record<string, number> = {
    accuracy: exact / n,
    subset_accuracy: exact / n,
    hamming_loss: wrong / (n * k),
  };
  for (const [name, a] of [['micro', micro], ['macro', macro], ['weighted', weighted], ['samples', samples]] as const) {
    metrics[`${name}_precision`] = a.precision;
    metrics[`${name}_recall`] = a.recall;
    metrics[`${name}_f1`] = a.f1;
  }
  const aucs = perLabel.map((p) => p.auc).filter(Number.isFinite);
  const aps = perLabel.map((p) => p.averagePrecision).filter(Number.isFinite);
  if (aucs.length) metrics.auc = aucs.reduce((s, v) => s + v, 0) / aucs.length;
  if (aps.length) metrics.mean_ap = aps.reduce((s, v) => s + v, 0) / aps.length;
  metrics.labels_without_positives = perLabel.filter((p) => p.support === 0).length;
  // Micro AUC: every (sample, label) cell is one binary decision.
  const flat: number[] = [];
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) flat.push(scores[i][c]);
  const microAuc = rocCurve(flat, (j) => truth[Math.floor(j / k)][j % k] === 1).auc;
  if (Number.isFinite(microAuc)) metrics.micro_auc = microAuc;
  let cardinality = 0;
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) cardinality += predicted[i][c];
  metrics.predicted_labels_per_sample = cardinality / n;

  return { classNames: [...classNames], metrics, perLabel, micro, macro, weighted, samples, predicted, pr, roc };
}

/** scikit-learn's classification_report for multi-label data, as rows (per label, then the four averages). */
export function multiLabelReportRows(e: MultiLabelEvaluation): { label: string; precision: number; recall: number; f1: number; support: number }[] {
  const support = e.perLabel.reduce((s, p) => s + p.support, 0);
  return [
    ...e.perLabel.map((p) => ({ label: p.label, precision: p.precision, recall: p.recall, f1: p.f1, support: p.support })),
    { label: 'micro avg', ...e.micro, support },
    { label: 'macro avg', ...e.macro, support },
    { label: 'weighted avg', ...e.weighted, support },
    { label: 'samples avg', ...e.samples, support },
  ];
}

/** The report as scikit-learn prints it (fixed-width text). */
export function multiLabelReport(e: MultiLabelEvaluation, digits = 2): string {
  const rows = multiLabelReportRows(e);
  const w = Math.max(12, ...rows.map((r) => r.label.length));
  const num = (x: number) => x.toFixed(digits).padStart(9);
  const head = `${''.padStart(w)} ${'precision'.padStart(9)} ${'recall'.padStart(9)} ${'f1-score'.padStart(9)} ${'support'.padStart(9)}`;
  const line = (r: (typeof rows)[number]) => `${r.label.padStart(w)} ${num(r.precision)} ${num(r.recall)} ${num(r.f1)} ${String(r.support).padStart(9)}`;
  const k = e.perLabel.length;
  return [head, '', ...rows.slice(0, k).map(line), '', ...rows.slice(k).map(line)].join('\n') + '\n';
}

/** Label co-occurrence counts: entry [a][b] = samples carrying both a and b (diagonal: samples carrying a). */
export function labelCooccurrence(truth: ArrayLike<number>[], k: number): number[][] {
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (const row of truth) {
    for (let a = 0; a < k; a++) {
      if (!row[a]) continue;
      for (let b = 0; b < k; b++) if (row[b]) m[a][b]++;
    }
  }
  return m;
}
