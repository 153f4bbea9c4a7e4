import { averagedScores, perClassScores } from './class-metrics';
import { confusionMatrix } from './confusion-matrix';
import { logLoss } from './log-loss';
import { prCurve } from './precision-recall';
import { macroAverageRoc, rocCurve } from './roc';
import { checkLabels, checkScores } from './validate';

export interface EvaluateClassificationOptions {
  /** True class index per sample. */
  labels: number[];
  /** One row per sample, one score (ideally a probability) per class. */
  scores: number[][];
  classNames: string[];
  /** Binary only: index of the positive class (default 1). */
  positive?: number;
  /**
   * Binary only: predict the positive class when its score >= threshold (default: argmax).
   * An array gives each sample its own threshold (pooled folds, each tuned on its own
   * validation); undefined there means argmax for that sample.
   */
  threshold?: number | (number | undefined)[];
}

export interface ClassificationEvaluation {
  classNames: string[];
  /** Bare snake_case metric names (MLflow keys add `<split>/`); undefined metrics are omitted. */
  metrics: Record<string, number>;
  /** rows = true class, columns = predicted class. */
  confusionMatrix: number[][];
  perClass: { className: string; precision: number; recall: number; f1: number; support: number }[];
  /** Binary: one entry, the positive class. Multi-class: one-vs-rest per class (auc NaN if undefined). */
  roc: { className: string; fpr: number[]; tpr: number[]; thresholds: number[]; auc: number }[];
  /** Multi-class only: the macro-average ROC curve; auc = the `auc` metric. */
  rocMacro?: { fpr: number[]; tpr: number[]; auc: number };
  pr: { className: string; precision: number[]; recall: number[]; averagePrecision: number }[];
  /** Predicted class per sample: argmax, or the binary threshold when given. */
  predictions: number[];
  /** Binary only: index of the positive class. */
  positive?: number;
}

/** Index of the largest value (the first one on ties, as numpy.argmax). */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let c = 1; c < row.length; c++) if (row[c] > row[best]) best = c;
  return best;
}

/** All the classification metrics the studies report, with scikit-learn's definitions. */
export function evaluateClassification(o: EvaluateClassificationOptions): ClassificationEvaluation {
  const { labels, scores, classNames } = o;
  const nClasses = classNames.length;
  if (nClasses < 2) throw new RangeError(`classNames has ${nClasses} class(es): a classification needs at least 2.`);
  if (labels.length === 0) throw new RangeError('labels is empty: nothing to evaluate.');
  checkLabels(labels, nClasses);
  checkScores(scores, labels.length, nClasses);
  const binary = nClasses === 2;
  const positive = o.positive ?? 1;
  if (binary && positive !== 0 && positive !== 1) throw new RangeError(`positive is ${positive}: expected the index of the positive class, 0 or 1.`);
  if (!binary && o.threshold !== undefined) throw new RangeError('threshold applies to binary problems only: this one has ' + nClasses + ' classes.');

  const th = o.threshold;
  if (Array.isArray(th) && th.length !== labels.length) throw new RangeError(`threshold has ${th.length} values for ${labels.length} samples: give one per sample, or one number.`);
  const predictions = scores.map((row, i) => {
    const t = Array.isArray(th) ? th[i] : th;
    return binary && t !== undefined ? (row[positive] >= t ? positive : 1 - positive) : argmax(row);
  });
  const matrix = confusionMatrix(labels, predictions, nClasses);
  const per = perClassScores(matrix);
  const avg = averagedScores(matrix, per);

  const curveClasses = binary ? [positive] : classNames.map((_, c) => c);
  const column = (c: number) => scores.map((row) => row[c]);
  const roc = curveClasses.map((c) => ({ className: classNames[c], ...rocCurve(column(c), (i) => labels[i] === c) }));
  const pr = curveClasses.map((c) => {
    const { precision, recall, averagePrecision } = prCurve(column(c), (i) => labels[i] === c);
    return { className: classNames[c], precision, recall, averagePrecision };
  });

  const metrics: Record<string, number> = {
    accuracy: avg.accuracy,
    average_class_accuracy: avg.balancedAccuracy,
    balanced_accuracy: avg.balancedAccuracy,
    macro_f1: avg.macro.f1,
    micro_f1: avg.micro.f1,
    weighted_f1: avg.weighted.f1,
    macro_precision: avg.macro.precision,
    macro_recall: avg.macro.recall,
    weighted_precision: avg.weighted.precision,
    weighted_recall: avg.weighted.recall,
    log_loss: logLoss(labels, scores),
  };
  let rocMacro: ClassificationEvaluation['rocMacro'];
  if (binary) {
    // Recall of the positive class and of the negative one, at the decision used.
    if (per[positive].support > 0) metrics.sensitivity = per[positive].recall;
    if (per[1 - positive].support > 0) metrics.specificity = per[1 - positive].recall;
    metrics.auc = roc[0].auc;
    metrics.average_precision = pr[0].averagePrecision;
  } else {
    rocMacro = macroAverageRoc(roc);
    metrics.auc = rocMacro.auc;
    // Micro average: every (sample, class) pair is one binary decision.
    const flat = scores.flat();
    metrics.micro_auc = rocCurve(flat, (k) => labels[Math.floor(k / nClasses)] === k % nClasses).auc;
    metrics.average_precision = pr.reduce((s, p) => s + p.averagePrecision, 0) / nClasses;
  }
  for (const k of Object.keys(metrics)) if (!Number.isFinite(metrics[k])) delete metrics[k];

  return {
    classNames: [...classNames],
    metrics,
    confusionMatrix: matrix,
    perClass: per.map((p, c) => ({ className: classNames[c], ...p })),
    roc,
    ...(rocMacro ? { rocMacro } : {}),
    pr,
    predictions,
    ...(binary ? { positive } : {}),
  };
}
