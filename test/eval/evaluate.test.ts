import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateClassification, type ClassificationEvaluation } from '../../src/eval/evaluate';
import { classificationReport } from '../../src/eval/report';
import { askSklearn, assertAllClose, assertClose, rng } from './sklearn';

interface Case { task: 'classification'; labels: number[]; scores: number[][]; classNames: string[]; positive?: number; why: string }

function softmax(logits: number[]): number[] {
  const m = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** 20 random cases: 2-6 classes, 5-200 samples, scores informative but noisy; some with ties. */
function randomCases(): Case[] {
  const r = rng(2024);
  const out: Case[] = [];
  for (let t = 0; t < 20; t++) {
    const C = 2 + (t % 5), n = 5 + Math.floor(r() * 196);
    const ties = t % 3 === 0;
    const labels = Array.from({ length: n }, () => Math.floor(r() * C));
    const scores = labels.map((y) => {
      const p = softmax(Array.from({ length: C }, (_, c) => (c === y ? 1.2 : 0) + 1.5 * (r() - 0.5) * 2));
      // Rounding to one decimal makes many equal scores: the tie handling is exercised.
      return ties ? p.map((v) => Math.round(v * 10) / 10) : p;
    });
    out.push({ task: 'classification', labels, scores, classNames: Array.from({ length: C }, (_, c) => `class_${c}`), why: `random #${t} (${C} classes, n=${n}${ties ? ', tied scores' : ''})` });
  }
  return out;
}

function edgeCases(): Case[] {
  return [
    // Class 2 is never predicted: its precision is 0/0 (counted as 0, as scikit-learn does).
    { task: 'classification', why: 'a class never predicted', classNames: ['homogeneous', 'speckled', 'nucleolar'],
      labels: [0, 0, 1, 1, 2, 2, 0, 1], scores: [[0.7, 0.2, 0.1], [0.4, 0.5, 0.1], [0.3, 0.6, 0.1], [0.5, 0.4, 0.1], [0.5, 0.3, 0.2], [0.3, 0.4, 0.3], [0.6, 0.3, 0.1], [0.2, 0.7, 0.1]] },
    // One class in the truth: AUC is undefined (omitted), the rest is defined.
    { task: 'classification', why: 'a single class in the truth (binary)', classNames: ['negative', 'positive'],
      labels: [1, 1, 1, 1], scores: [[0.2, 0.8], [0.6, 0.4], [0.1, 0.9], [0.5, 0.5]] },
    { task: 'classification', why: 'a single class in the truth (multi-class)', classNames: ['a', 'b', 'c'],
      labels: [0, 0, 0], scores: [[0.5, 0.3, 0.2], [0.2, 0.5, 0.3], [0.6, 0.2, 0.2]] },
    // Every score tied: a ROC curve of one diagonal step, AUC 0.5.
    { task: 'classification', why: 'all scores tied', classNames: ['neg', 'pos'],
      labels: [0, 1, 0, 1, 1], scores: [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5], [0.5, 0.5], [0.5, 0.5]] },
    // The positive class is index 0.
    { task: 'classification', why: 'binary with positive = 0', classNames: ['positive', 'negative'], positive: 0,
      labels: [0, 1, 0, 1, 0, 1, 1], scores: [[0.9, 0.1], [0.4, 0.6], [0.35, 0.65], [0.2, 0.8], [0.8, 0.2], [0.6, 0.4], [0.1, 0.9]] },
    // A class absent from truth and predictions: scikit-learn prints "micro avg" instead of "accuracy".
    { task: 'classification', why: 'a class absent everywhere', classNames: ['a', 'b', 'c'],
      labels: [0, 1, 0, 1], scores: [[0.6, 0.3, 0.1], [0.3, 0.6, 0.1], [0.2, 0.7, 0.1], [0.5, 0.4, 0.1]] },
  ];
}

function compare(ours: ClassificationEvaluation, sk: any, c: Case): void {
  const why = c.why;
  assert.deepEqual(ours.predictions, sk.predictions, `${why}: predictions`);
  assert.deepEqual(ours.confusionMatrix, sk.confusion_matrix, `${why}: confusion matrix`);
  for (const k of ['accuracy', 'balanced_accuracy', 'macro_f1', 'micro_f1', 'weighted_f1', 'macro_precision', 'macro_recall', 'weighted_precision', 'weighted_recall', 'log_loss', 'auc', 'micro_auc', 'average_precision']) {
    if (k === 'micro_auc' && c.classNames.length === 2) continue;
    if (sk[k] === null || sk[k] === undefined) assert.ok(!(k in ours.metrics), `${why}: ${k} is undefined for scikit-learn, so it must be omitted; got ${ours.metrics[k]}`);
    else assertClose(ours.metrics[k], sk[k], `${why}: ${k}`);
  }
  assertClose(ours.metrics.average_class_accuracy, sk.balanced_accuracy, `${why}: average_class_accuracy`);
  if (c.classNames.length === 2) {
    // Sensitivity and specificity: recall of the positive and of the negative class (left out without support).
    const pos = c.positive ?? 1;
    for (const [k, cls] of [['sensitivity', pos], ['specificity', 1 - pos]] as const) {
      if (sk.per_class[cls].support === 0) assert.ok(!(k in ours.metrics), `${why}: ${k} without support must be omitted`);
      else assertClose(ours.metrics[k], sk.per_class[cls].recall, `${why}: ${k}`);
    }
  }
  ours.perClass.forEach((p, i) => {
    for (const k of ['precision', 'recall', 'f1'] as const) assertClose(p[k], sk.per_class[i][k], `${why}: ${p.className} ${k}`);
    assert.equal(p.support, sk.per_class[i].support);
  });
  ours.roc.forEach((r, i) => {
    const s = sk.roc[i];
    if (s === null) { assert.ok(Number.isNaN(r.auc), `${why}: ROC AUC of ${r.className} should be undefined`); return; }
    assertAllClose(r.fpr, s.fpr, `${why}: ${r.className} fpr`);
    assertAllClose(r.tpr, s.tpr, `${why}: ${r.className} tpr`);
    assert.equal(r.thresholds[0], Infinity);
    assertAllClose(r.thresholds.slice(1), s.thresholds, `${why}: ${r.className} thresholds`);
    assertClose(r.auc, s.auc, `${why}: ${r.className} auc`);
  });
  ours.pr.forEach((p, i) => {
    const s = sk.pr[i];
    if (s === null) { assert.ok(Number.isNaN(p.averagePrecision)); return; }
    assertAllClose(p.precision, s.precision, `${why}: ${p.className} precision curve`);
    assertAllClose(p.recall, s.recall, `${why}: ${p.className} recall curve`);
    assertClose(p.averagePrecision, s.ap, `${why}: ${p.className} average precision`);
  });
  assert.equal(classificationReport(ours), sk.report, `${why}: classification report`);
}

test('every metric, curve and the report agree with scikit-learn on 20 random cases and the edge cases', () => {
  const cases = [...randomCases(), ...edgeCases()];
  const answers = askSklearn(cases);
  cases.forEach((c, i) => compare(evaluateClassification(c), answers[i], c));
});

test('metrics named as the MLflow keys use them; undefined ones are left out', () => {
  const e = evaluateClassification({ labels: [0, 1, 2, 2], scores: [[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.2, 0.7], [0.5, 0.2, 0.3]], classNames: ['a', 'b', 'c'] });
  assert.deepEqual(Object.keys(e.metrics).sort(), [
    'accuracy', 'auc', 'average_class_accuracy', 'average_precision', 'balanced_accuracy', 'log_loss', 'macro_f1', 'macro_precision',
    'macro_recall', 'micro_auc', 'micro_f1', 'weighted_f1', 'weighted_precision', 'weighted_recall',
  ]);
  assert.equal(e.metrics.accuracy, 0.75);
  assert.ok(e.rocMacro && Math.abs(e.rocMacro.auc - e.metrics.auc) < 1e-12);
  // Scores that are not probabilities: no log loss, everything else still there.
  const logits = evaluateClassification({ labels: [0, 1], scores: [[2, -1], [-3, 4]], classNames: ['n', 'p'] });
  assert.ok(!('log_loss' in logits.metrics));
  assert.equal(logits.metrics.auc, 1);
});

test('a binary threshold turns scores into predictions', () => {
  const o = { labels: [0, 0, 1, 1], scores: [[0.9, 0.1], [0.7, 0.3], [0.65, 0.35], [0.2, 0.8]], classNames: ['neg', 'pos'] };
  assert.deepEqual(evaluateClassification(o).predictions, [0, 0, 0, 1]);
  assert.deepEqual(evaluateClassification({ ...o, threshold: 0.3 }).predictions, [0, 1, 1, 1]);
  // Pooled folds: one threshold per sample, and the metrics follow the decision.
  const perSample = evaluateClassification({ ...o, threshold: [0.05, 0.5, 0.3, 0.9] });
  assert.deepEqual(perSample.predictions, [1, 0, 1, 0]);
  assert.equal(perSample.metrics.accuracy, 0.5);
  assert.equal(perSample.metrics.sensitivity, 0.5);
  assert.equal(perSample.metrics.specificity, 0.5);
  assert.throws(() => evaluateClassification({ ...o, threshold: [0.5] }), /threshold has 1 values for 4 samples/);
  // A fold without a threshold (its validation had one class) decides by argmax.
  assert.deepEqual(evaluateClassification({ ...o, threshold: [undefined, undefined, 0.3, 0.3] }).predictions, [0, 0, 1, 1]);
  assert.throws(() => evaluateClassification({ ...o, classNames: ['a', 'b', 'c'] }), /scores\[0\] has 2 values: expected one per class \(3\)/);
  assert.throws(() => evaluateClassification({ ...o, labels: [0, 0, 1, 2] }), /labels\[3\] is 2: expected a class index 0..1/);
});
