import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateMultiLabel, labelCooccurrence, multiLabelReport } from '../../src/eval/multilabel';
import { applyLabelDecision, chooseLabelDecision } from '../../src/eval/label-decision';
import { searchThreshold } from '../../src/eval/threshold';
import { isMultiLabelHeader, multiLabelFromRows, multiLabelPredictionRows } from '../../src/eval/multilabel-csv';
import { formatCsv, parseCsv } from '../../src/data/csv';
import { askSklearn, assertClose, rng } from './sklearn';

interface Case { task: 'multilabel'; truth: number[][]; scores: number[][]; predicted: number[][]; why: string }

/** 20 random cases: 2-8 labels of unequal frequency, 5-150 samples, informative noisy scores, three kinds of decision. */
function randomCases(): Case[] {
  const r = rng(4242);
  const out: Case[] = [];
  for (let t = 0; t < 20; t++) {
    const K = 2 + (t % 7), n = 5 + Math.floor(r() * 146);
    const freq = Array.from({ length: K }, () => 0.05 + 0.5 * r());
    const truth = Array.from({ length: n }, () => freq.map((p) => (r() < p ? 1 : 0)));
    const ties = t % 4 === 0;
    const scores = truth.map((row) => row.map((y) => {
      const s = 1 / (1 + Math.exp(-(y ? 1 : -1) * 1.2 - 3 * (r() - 0.5)));
      return ties ? Math.round(s * 10) / 10 : s;
    }));
    const kind = t % 3;
    const thresholds = Array.from({ length: K }, () => 0.2 + 0.6 * r());
    const predicted = kind === 0 ? scores.map((row) => row.map((s) => (s >= 0.5 ? 1 : 0)))
      : kind === 1 ? applyLabelDecision(scores, { kind: 'per-label', thresholds })
        : applyLabelDecision(scores, { kind: 'top-k', thresholds: [], k: 1 + (t % 2) });
    out.push({ task: 'multilabel', truth, scores, predicted, why: `random #${t} (${K} labels, n=${n}, ${['0.5', 'per-label thresholds', 'top-k'][kind]}${ties ? ', tied scores' : ''})` });
  }
  return out;
}

function edgeCases(): Case[] {
  return [
    // Label 2 is never in the truth (its AUC and AP are undefined) and never predicted; sample 3 has no labels at all.
    { task: 'multilabel', why: 'a label absent from truth and predictions, a sample without labels',
      truth: [[1, 0, 0], [0, 1, 0], [1, 1, 0], [0, 0, 0]], scores: [[0.9, 0.2, 0.1], [0.4, 0.7, 0.2], [0.6, 0.3, 0.1], [0.2, 0.1, 0.3]],
      predicted: [[1, 0, 0], [0, 1, 0], [1, 0, 0], [0, 0, 0]] },
    // Nothing predicted: every precision is 0/0 (counted 0), label 1 is in every sample (AUC undefined).
    { task: 'multilabel', why: 'no label predicted, a label in every sample',
      truth: [[1, 1], [0, 1], [1, 1]], scores: [[0.3, 0.2], [0.1, 0.4], [0.2, 0.3]], predicted: [[0, 0], [0, 0], [0, 0]] },
    // Everything predicted.
    { task: 'multilabel', why: 'every label predicted',
      truth: [[1, 0, 1], [0, 1, 0], [0, 0, 1], [1, 1, 1]], scores: [[0.5, 0.5, 0.5], [0.5, 0.5, 0.5], [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]],
      predicted: [[1, 1, 1], [1, 1, 1], [1, 1, 1], [1, 1, 1]] },
  ];
}

function compare(c: Case, sk: any): void {
  const names = c.truth[0].map((_, i) => `label_${i}`);
  const e = evaluateMultiLabel({ truth: c.truth, scores: c.scores, predicted: c.predicted, classNames: names });
  const why = c.why;
  for (const k of ['accuracy', 'hamming_loss', ...['micro', 'macro', 'weighted', 'samples'].flatMap((a) => [`${a}_precision`, `${a}_recall`, `${a}_f1`])]) {
    assertClose(e.metrics[k], sk[k], `${why}: ${k}`);
  }
  assertClose(e.metrics.subset_accuracy, sk.accuracy, `${why}: subset_accuracy`);
  e.perLabel.forEach((p, i) => {
    for (const k of ['precision', 'recall', 'f1'] as const) assertClose(p[k], sk.per_label[i][k], `${why}: ${p.label} ${k}`);
    assert.equal(p.support, sk.per_label[i].support, `${why}: ${p.label} support`);
    if (sk.auc[i] === null) assert.ok(Number.isNaN(p.auc), `${why}: ${p.label} AUC must be undefined`);
    else assertClose(p.auc, sk.auc[i], `${why}: ${p.label} ROC AUC`);
    if (sk.ap[i] === null) assert.ok(Number.isNaN(p.averagePrecision), `${why}: ${p.label} AP must be undefined`);
    else assertClose(p.averagePrecision, sk.ap[i], `${why}: ${p.label} average precision`);
  });
  for (const [ours, theirs] of [['auc', 'macro_auc'], ['mean_ap', 'mean_ap'], ['micro_auc', 'micro_auc']]) {
    if (sk[theirs] === null) assert.ok(!(ours in e.metrics), `${why}: ${ours} must be omitted`);
    else assertClose(e.metrics[ours], sk[theirs], `${why}: ${ours}`);
  }
}

test('multi-label metrics agree with scikit-learn to 1e-9 on 20 random cases and the edge cases', () => {
  const cases = [...randomCases(), ...edgeCases()];
  const answers = askSklearn(cases);
  cases.forEach((c, i) => compare(c, answers[i]));
});

test('the report lists each label, then micro, macro, weighted and samples averages', () => {
  const e = evaluateMultiLabel({ truth: [[1, 0], [0, 1], [1, 1]], scores: [[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]], classNames: ['Nucleoplasm', 'Cytosol'] });
  const text = multiLabelReport(e);
  assert.match(text, /Nucleoplasm\s+1\.00\s+1\.00\s+1\.00\s+2/);
  assert.match(text, /Cytosol\s+1\.00\s+0\.50\s+0\.67\s+2/);
  for (const a of ['micro avg', 'macro avg', 'weighted avg', 'samples avg']) assert.ok(text.includes(a), a);
  assert.equal(e.metrics.labels_without_positives, 0);
  assert.deepEqual(labelCooccurrence([[1, 0], [0, 1], [1, 1]], 2), [[2, 1], [1, 2]]);
});

test('bad input names the row and label', () => {
  assert.throws(() => evaluateMultiLabel({ truth: [[1, 2]], scores: [[0.1, 0.2]], classNames: ['a', 'b'] }), /truth\[0\]\[1\] is 2: expected 0 or 1/);
  assert.throws(() => evaluateMultiLabel({ truth: [[1, 0]], scores: [[0.1]], classNames: ['a', 'b'] }), /scores row 0 has 1 values; there are 2 labels/);
  assert.throws(() => chooseLabelDecision('top-k', [[0.1, 0.2]], [[1, 0]], ['a', 'b'], { k: 3 }), /top-k needs 1 <= k <= 2/);
});

test('per-label thresholds maximise each label F1 on the split they are chosen on; global maximises micro F1', () => {
  const r = rng(7);
  const truth = Array.from({ length: 60 }, () => [r() < 0.5 ? 1 : 0, r() < 0.2 ? 1 : 0, 0]);
  const scores = truth.map((row) => row.map((y, c) => Math.min(1, Math.max(0, (y ? 0.55 : 0.35) + (c + 1) * 0.1 * (r() - 0.5) * 4))));
  const d = chooseLabelDecision('per-label', scores, truth, ['a', 'b', 'never']);
  for (const c of [0, 1]) {
    const best = searchThreshold(scores.map((s) => s[c]), truth.map((t) => t[c] as 0 | 1), { metric: 'f1' });
    assert.equal(d.thresholds[c], best.threshold);
    const f1 = evaluateMultiLabel({ truth, scores, classNames: ['a', 'b', 'never'], predicted: applyLabelDecision(scores, d) }).perLabel[c].f1;
    assertClose(f1, best.value, `label ${c} F1 at its threshold`);
  }
  // A label never present in validation takes the global threshold and is named.
  const g = chooseLabelDecision('global', scores, truth, ['a', 'b', 'never']);
  assert.equal(d.thresholds[2], g.thresholds[0]);
  assert.deepEqual(d.fellBack, ['never']);
  // With minPositives, a label with fewer validation positives takes the global threshold too.
  const rareCount = truth.filter((t) => t[1]).length;
  const shrunk = chooseLabelDecision('per-label', scores, truth, ['a', 'b', 'never'], { minPositives: rareCount + 1 });
  assert.deepEqual(shrunk.fellBack, ['b', 'never']);
  assert.deepEqual(shrunk.thresholds, [d.thresholds[0], g.thresholds[0], g.thresholds[0]]);
  const micro = (t: number) => evaluateMultiLabel({ truth, scores, classNames: ['a', 'b', 'never'], predicted: applyLabelDecision(scores, { kind: 'fixed', thresholds: [t, t, t] }) }).metrics.micro_f1;
  const atChosen = micro(g.thresholds[0]);
  for (const t of [0.1, 0.3, 0.45, 0.5, 0.6, 0.8]) assert.ok(atChosen >= micro(t) - 1e-12, `micro F1 at ${t} beats the chosen global threshold`);
  assert.deepEqual(applyLabelDecision([[0.2, 0.9, 0.5]], { kind: 'top-k', thresholds: [], k: 2 }), [[0, 1, 1]]);
});

test('the multi-label predictions CSV round-trips label names with spaces and commas, and empty sets', () => {
  const names = ['Nucleoplasm', 'Vesicles and punctate cytosolic patterns', 'a, b'];
  const rows = multiLabelPredictionRows({ ids: ['x', 'y', 'z'], paths: ['/p/x.png', '/p/y.png', '/p/z.png'], classNames: names,
    truth: [[0, 1, 0], [1, 1, 1], [0, 0, 0]], scores: [[0.1, 0.9, 0.2], [0.8, 0.7, 0.6], [0.2, 0.1, 0.3]], predicted: [[0, 1, 0], [1, 0, 1], [0, 0, 0]] });
  const csv = formatCsv(rows.header, rows.rows);
  assert.equal(csv.split('\n')[0], 'id,path,labels,Nucleoplasm,Vesicles and punctate cytosolic patterns,"a, b",predicted');
  const t = multiLabelFromRows(parseCsv(csv));
  assert.deepEqual(t.classNames, names);
  assert.deepEqual(t.truth, [[0, 1, 0], [1, 1, 1], [0, 0, 0]]);
  assert.deepEqual(t.predicted, [[0, 1, 0], [1, 0, 1], [0, 0, 0]]);
  assert.deepEqual(t.scores[1], [0.8, 0.7, 0.6]);
  assert.ok(isMultiLabelHeader(parseCsv(csv).header));
  assert.throws(() => multiLabelFromRows(parseCsv('id,labels,a,b\n1,c,0.1,0.2\n')), /line 2: true label `c` is neither a label/);
});
