// Golden-spec tests: each builder's Vega-Lite JSON for fixed inputs is compared with
// test/plots/golden/<name>.vl.json. After an intended change, regenerate with
// CELLAB_UPDATE_GOLDEN=1 node test/run.cjs test/plots/specs.test.ts and review the diff.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { confusionMatrixSpec } from '../../src/plots/confusion-matrix';
import { prSpec, rocSpec } from '../../src/plots/curves';
import { pcaSpec } from '../../src/plots/pca';
import { similarityThresholdSpec } from '../../src/plots/similarity-threshold';
import { sweepSpec, type TrialRow } from '../../src/plots/sweep';
import { trainingCurvesSpec } from '../../src/plots/training-curves';
import { lrFindSpec } from '../../src/plots/lr-find';
import { runCurvesSpec } from '../../src/plots/run-curves';
import { parallelCoordinatesSpec, paramImportanceSpec, searchHistorySpec, searchSpec, type SearchTrial } from '../../src/plots/search';
import type { VegaLiteSpec } from '../../src/plots/spec';
import { renderSvg } from '../../src/plots/render';
import { perLabelF1Spec } from '../../src/plots/per-label-f1';
import { labelCountsSpec } from '../../src/plots/label-counts';
import { labelCooccurrenceSpec } from '../../src/plots/label-cooccurrence';
import { prPerLabelSpec } from '../../src/plots/pr-per-label';

const classes = ['homogeneous', 'fine_speckled', 'centromere'];
const matrix = [[8, 2, 0], [3, 6, 1], [0, 0, 10]];
const roc = [
  { className: 'homogeneous', fpr: [0, 0, 0.25, 1], tpr: [0, 0.5, 1, 1], thresholds: [Infinity, 0.9, 0.6, 0.1], auc: 0.875 },
  { className: 'centromere', fpr: [0, 0, 1], tpr: [0, 1, 1], auc: 1 },
  { className: 'nucleolar', fpr: [NaN], tpr: [NaN], auc: NaN },
];
const history = [1, 2, 3].map((epoch) => ({ epoch, 'train/loss': 1 / epoch, 'val/loss': 1.2 / epoch, 'val/accuracy': 0.5 + epoch / 10, lr: 0.001 }));
const trials: TrialRow[] = [];
for (const backbone of ['resnet', 'convnext']) {
  for (const lr of [0.01, 0.001]) {
    for (const fold of [0, 1]) {
      trials.push({ trial: trials.length, params: { 'model.backbone': backbone, 'train.lr': lr, fold }, fold, outcome: 'completed', metrics: { 'val/accuracy': 0.7 + (backbone === 'resnet' ? 0.1 : 0) + fold / 50 + (lr === 0.001 ? 0.05 : 0) } });
    }
  }
}
trials.push({ trial: 99, params: { 'model.backbone': 'resnet', 'train.lr': 0.1, fold: 0 }, fold: 0, outcome: 'diverged', metrics: {} });

const labels = ['Nucleoplasm', 'Cytosol', 'Nucleoli'];
const perLabel = [
  { label: 'Nucleoplasm', precision: 0.8, recall: 0.9, f1: 0.8471, support: 40, tp: 36, fp: 9, fn: 4 },
  { label: 'Cytosol', precision: 0.7, recall: 0.6, f1: 0.6462, support: 25, tp: 15, fp: 6, fn: 10 },
  { label: 'Nucleoli', precision: 0.5, recall: 0.25, f1: 0.3333, support: 4, tp: 1, fp: 1, fn: 3 },
];
const labelPr = [
  { className: 'Nucleoplasm', precision: [0.6, 0.75, 1, 1], recall: [1, 0.75, 0.25, 0], thresholds: [0.2, 0.5, 0.9], averagePrecision: 0.8125 },
  { className: 'Nucleoli', precision: [0.5, 1], recall: [NaN, NaN], averagePrecision: NaN },
];
// A small tpe search: the learning rate on a log scale, a backbone, dropout only for resnet18.
const search: SearchTrial[] = [
  { trial: 0, params: { 'model.backbone': 'small-cnn', 'train.lr': 0.0003 }, value: 0.62, outcome: 'completed' },
  { trial: 1, params: { 'model.backbone': 'resnet18', 'train.lr': 0.02, 'model.dropout': 0.3 }, value: 0.55, outcome: 'pruned' },
  { trial: 2, params: { 'model.backbone': 'resnet18', 'train.lr': 0.002, 'model.dropout': 0.1 }, value: 0.81, outcome: 'completed' },
  { trial: 3, params: { 'model.backbone': 'small-cnn', 'train.lr': 0.08 }, value: null, outcome: 'diverged' },
  { trial: 4, params: { 'model.backbone': 'resnet18', 'train.lr': 0.003, 'model.dropout': 0.2 }, value: 0.78, outcome: 'completed' },
];
const importance = [{ param: 'train.lr', share: 0.7, statistic: 0.42 }, { param: 'model.backbone', share: 0.3, statistic: 0.18 }, { param: 'model.dropout', share: 0, statistic: 0 }];

const cases: Record<string, () => VegaLiteSpec> = {
  'per-label-f1': () => perLabelF1Spec({ perLabel, micro: 0.75, macro: 0.6089 }),
  'label-counts': () => labelCountsSpec({ perLabel }),
  'label-cooccurrence': () => labelCooccurrenceSpec({ matrix: [[40, 12, 3], [12, 25, 0], [3, 0, 4]], classNames: labels }),
  'label-cooccurrence-normalized': () => labelCooccurrenceSpec({ matrix: [[40, 12, 3], [12, 25, 0], [3, 0, 4]], classNames: labels, normalize: true }),
  'pr-per-label': () => prPerLabelSpec({ pr: labelPr, thresholds: [0.45, 0.5] }),
  'confusion-matrix': () => confusionMatrixSpec({ matrix, classNames: classes }),
  'confusion-matrix-normalized': () => confusionMatrixSpec({ matrix, classNames: classes, normalize: true, title: 'Test split' }),
  roc: () => rocSpec({ roc, rocMacro: { fpr: [0, 0.25, 1], tpr: [0.75, 1, 1], auc: 0.9375 } }),
  'roc-operating-point': () => rocSpec({ roc: [roc[0]], operatingPoint: { fpr: 0.25, tpr: 1, threshold: 0.6 } }),
  pr: () => prSpec({ pr: [{ className: 'positive', precision: [0.5, 0.667, 1, 1], recall: [1, 1, 0.5, 0], averagePrecision: 0.833 }] }),
  pca: () => pcaSpec({ projected: [[1, 2, 0], [-1, 0.5, 0], [0.2, -2, 1]], labels: ['a', 'b', 'a'], ids: ['img1', 'img2', 'img3'], explainedVarianceRatio: [0.6, 0.3, 0.1] }),
  'training-curves': () => trainingCurvesSpec(history),
  'similarity-threshold': () => similarityThresholdSpec({
    curves: [{ split: 'val', thresholds: [0.2, 0.5, 0.7, 0.9], values: [0.5, 0.7, 0.85, 0.6] }, { split: 'test', thresholds: [0.2, 0.5, 0.7, 0.9], values: [0.5, 0.65, 0.8, 0.62] }],
    chosen: 0.7, metric: 'accuracy', reference: { value: 0.705, label: 'study 0.705' }, bins: 4,
    pairs: { similarities: [0.25, 0.3, 0.55, 0.8, 0.85, 0.95, 0.4, 0.75], same: [0, 0, 0, 1, 1, 1, 0, 1] },
  }),
  'sweep-lr': () => sweepSpec(trials, { metric: 'val/accuracy', x: 'train.lr' }),
  'sweep-bars': () => sweepSpec(trials, { metric: 'val/accuracy' }),
  'lr-find': () => lrFindSpec({
    points: [1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1].map((lr, i) => ({ lr, loss: [2.3, 2.2, 1.6, 1.1, 1.4, NaN][i], smoothed: [2.3, 2.25, 1.9, 1.5, 1.45, 3][i] })),
    suggestions: { steepest: 1e-3, 'minimum/10': 1e-3 }, note: 'stopped at lr 1: the loss diverged',
  }),
  'run-curves': () => runCurvesSpec([1, 2].flatMap((epoch) => ['run-a', 'run-b'].flatMap((run, r) => [
    { run, epoch, metric: 'val/accuracy', value: 0.5 + epoch / 10 + r / 20 }, { run, epoch, metric: 'val/loss', value: 1 / epoch + r / 10 }]))),
  'search-history': () => searchHistorySpec(search),
  'search-parallel': () => parallelCoordinatesSpec(search),
  'search-importance': () => paramImportanceSpec(importance, { method: 'one-way ANOVA (omega squared)' }),
  search: () => searchSpec(search, { title: 'Search (tpe + asha pruning)', importance, importanceMethod: 'one-way ANOVA (omega squared)' }),
};

const golden = (name: string) => path.join(__dirname, 'golden', `${name}.vl.json`);

for (const [name, build] of Object.entries(cases)) {
  test(`${name} spec matches its golden file and renders`, async () => {
    const spec = JSON.parse(JSON.stringify(build())); // as it is written to .vl.json
    if (process.env.CELLAB_UPDATE_GOLDEN) writeFileSync(golden(name), JSON.stringify(spec, null, 2) + '\n');
    assert.deepEqual(spec, JSON.parse(readFileSync(golden(name), 'utf8')));
    const svg = await renderSvg(spec);
    assert.match(svg, /^<svg/);
  });
}

test('what a researcher reads in the plots is there', async () => {
  const cm = await renderSvg(confusionMatrixSpec({ matrix, classNames: classes }));
  for (const c of classes) assert.ok(cm.includes(`>${c}</text>`), `class ${c} on the axes`);
  for (const v of ['8', '6', '10', '3']) assert.ok(cm.includes(`>${v}</text>`), `cell value ${v}`);
  const rocSvg = await renderSvg(cases.roc());
  assert.ok(rocSvg.includes('homogeneous (AUC 0.875)'));
  assert.ok(rocSvg.includes('macro average (AUC 0.938)'));
  assert.ok(rocSvg.includes('ROC undefined (class missing from the truth) for: nucleolar'));
  assert.ok((await renderSvg(cases['roc-operating-point']())).includes('threshold 0.6'));
  assert.ok((await renderSvg(cases['sweep-lr']())).includes('1 trial(s) not shown (diverged: 1)'));
  assert.ok((await renderSvg(cases.pca())).includes('PC1 (60.0% of variance)'));
  const lr = await renderSvg(cases['lr-find']());
  assert.ok(lr.includes('steepest: 0.0010') && lr.includes('minimum/10: 0.0010'), 'the suggestions are labelled');
  assert.ok(lr.includes('stopped at lr 1: the loss diverged'));
  const curves = await renderSvg(cases['run-curves']());
  assert.ok(curves.includes('>run-a</text>') && curves.includes('>run-b</text>'), 'one legend entry per run');
  const f1 = await renderSvg(cases['per-label-f1']());
  for (const t of ['0.85  (n=40)', '0.33  (n=4)', 'micro F1 0.750', 'macro F1 0.609']) assert.ok(f1.includes(t), `per-label F1 shows ${t}`);
  const counts = await renderSvg(cases['label-counts']());
  for (const t of ['true positive', 'false positive', 'false negative', 'Nucleoli']) assert.ok(counts.includes(t), t);
  assert.ok((await renderSvg(cases['label-cooccurrence']())).includes('>12</text>'));
  const pr = await renderSvg(cases['pr-per-label']());
  assert.ok(pr.includes('Nucleoplasm (AP 0.81)') && pr.includes('no positives (curve undefined): Nucleoli'));
  const searchSvg = await renderSvg(cases.search());
  for (const t of ['val/accuracy by trial (line: best so far)', 'Parameters vs val/accuracy', 'Parameter importance', '1 trial(s) not shown (diverged: 1)', 'pruned', 'resnet18', 'train.lr']) {
    assert.ok(searchSvg.includes(t), `search plot shows ${t}`);
  }
  // The learning rate axis is logarithmic: 0.003 sits above the geometric middle of 0.0003..0.02 (0.0024), 0.002 below.
  const lrAxis = (cases['search-parallel']() as unknown as { layer: { data: { values: { axis: string; pos: number; label: string }[] } }[] }).layer[1].data.values
    .filter((v) => v.axis === 'train.lr');
  assert.ok(lrAxis.find((v) => v.label === '0.003')!.pos > 0.5 && lrAxis.find((v) => v.label === '0.002')!.pos < 0.5 && lrAxis.find((v) => v.label === '0.0003')!.pos === 0);
  // Best so far: the running best of completed trials only (the pruned trial's value does not count).
  const best = (cases['search-history']() as unknown as { data: { values: { trial: number; best: number }[] } }).data.values.map((v) => v.best);
  assert.deepEqual(best, [0.62, 0.62, 0.81, 0.81]);
});

test('spec builders reject bad input with what is available', () => {
  assert.throws(() => sweepSpec(trials, { metric: 'val_f1' }), /metric `val_f1` is not available\. Available: val\/accuracy/);
  assert.throws(() => sweepSpec(trials, { metric: 'val/accuracy', x: 'lr' }), /param `lr` is not in the trials\. Available: model\.backbone, train\.lr, fold/);
  assert.throws(() => trainingCurvesSpec(history, { metrics: ['f1'] }), /metric `f1` is not in the history\. Available: loss, accuracy, lr/);
  assert.throws(() => confusionMatrixSpec({ matrix: [[1, 2]], classNames: classes }), /matrix must be 3 x 3/);
  assert.throws(() => lrFindSpec({ points: [], suggestions: {} }), /no steps to plot/);
  assert.throws(() => runCurvesSpec([{ run: 'a', epoch: 1, metric: 'val/loss', value: 1 }], { metrics: ['val/f1'] }), /metric `val\/f1` is not in the runs' histories\. Available: val\/loss/);
  assert.throws(() => labelCooccurrenceSpec({ matrix: [[1, 2]], classNames: labels }), /matrix must be 3 x 3 \(one row and column per label\)/);
  assert.throws(() => perLabelF1Spec({ perLabel: [] }), /perLabel is empty/);
  assert.throws(() => pcaSpec({ projected: [[1, 2]], labels: ['a'], axes: [0, 2] }), /component 3 but the projection has 2/);
});
