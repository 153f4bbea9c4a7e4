import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yargs from 'yargs';
import { evaluateCommand, runEvaluate } from '../../src/cli/evaluate';

const fixture = (name: string) => path.join(__dirname, 'fixtures', name);

/** Parses `cellab evaluate ...` with the command's own options, runs it, captures its output. */
async function cellabEvaluate(args: string[]): Promise<{ out: string; err: string; code: number; json: any }> {
  let parsed: Parameters<typeof runEvaluate>[0] | undefined;
  await yargs(['evaluate', ...args]).command({ ...evaluateCommand, handler: (a) => { parsed = a; } }).strict().exitProcess(false).parseAsync();
  const out: string[] = [], err: string[] = [];
  const code = await runEvaluate(parsed!, { out: { write: (s: string) => out.push(s) }, err: { write: (s: string) => err.push(s) } });
  const lines = out.join('').trimEnd().split('\n');
  return { out: out.join(''), err: err.join(''), code, json: args.includes('--json') ? JSON.parse(lines[lines.length - 1]) : undefined };
}

test('6-class predictions: report, metrics and the JSON last line', async () => {
  const r = await cellabEvaluate([fixture('predictions-6class.csv'), '--json']);
  assert.equal(r.code, 0);
  assert.match(r.out, /coarse_speckled\s+0\.\d{4}\s+0\.3333\s+0\.\d{4}\s+6\n/); // 2 of 6 right
  // 23 of 36 on the diagonal; every class has 6 samples, so the class-mean recall is the same.
  assert.equal(r.json.accuracy, 23 / 36);
  assert.ok(Math.abs(r.json.average_class_accuracy - 23 / 36) < 1e-12);
  assert.ok(Math.abs(r.json.balanced_accuracy - 23 / 36) < 1e-12);
  for (const k of ['macro_f1', 'auc', 'micro_auc', 'log_loss']) assert.equal(typeof r.json[k], 'number', k);
  assert.ok(r.json.auc > 0.8 && r.json.auc < 1);
  assert.equal(r.json.confusion_matrix[3][3], 6);
  assert.equal(r.json.best_threshold, undefined);
});

test('binary predictions (one score column): best threshold and plots', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cellab-eval-'));
  try {
    const r = await cellabEvaluate([fixture('predictions-binary.csv'), '--threshold-metric', 'f1', '--plots', dir, '--json']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(r.json.classes, ['negative', 'positive']);
    // At 0.641: 14 of 16 positives above, 1 of 8 negatives: F1 = 28 / 31.
    assert.deepEqual(r.json.best_threshold, { threshold: 0.641, metric: 'f1', value: 28 / 31, confusion_matrix: [[7, 1], [2, 14]] });
    assert.equal(r.json.auc, 0.9296875);
    assert.match(readFileSync(path.join(dir, 'roc.svg'), 'utf8'), /positive \(AUC 0\.930\).*best f1: threshold 0\.641/s);
    assert.match(readFileSync(path.join(dir, 'confusion_matrix.svg'), 'utf8'), />negative<\/text>/);
    // --positive negative turns the problem around: the same AUC seen from the other class.
    const flipped = await cellabEvaluate([fixture('predictions-binary.csv'), '--positive', 'negative', '--json']);
    assert.deepEqual(flipped.json.classes, ['positive', 'negative']);
    assert.equal(flipped.json.best_threshold.metric, 'youden');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file it cannot use exits 1 with a message naming the problem', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cellab-eval-'));
  try {
    const file = path.join(dir, 'p.csv');
    writeFileSync(file, 'id,truth,a,b\n1,a,0.4,0.6\n');
    const r = await cellabEvaluate([file, '--json']);
    assert.equal(r.code, 1);
    assert.match(r.err, /label column `label` is not in the header\. Columns: id, truth, a, b \(choose one with --label-col\)/);
    assert.equal(r.json.status, 'FAILED');
    const ok = await cellabEvaluate([file, '--label-col', 'truth', '--json']);
    assert.equal(ok.code, 0);
    const missing = await cellabEvaluate([path.join(dir, 'nope.csv')]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /cannot read predictions file .*nope\.csv/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('multi-label predictions (a `labels` column): report at the run decisions, --threshold and --top-k, plots', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cellab-eval-'));
  try {
    const r = await cellabEvaluate([fixture('predictions-multilabel.csv'), '--plots', dir, '--json']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.json.multi_label, true);
    assert.deepEqual(r.json.labels, ['Nucleoplasm', 'Cytosol', 'Nucleoli']);
    // The `predicted` column: 8 true positives, 1 false positive (a6 Nucleoplasm), 0 false negatives.
    assert.equal(r.json.micro_precision, 8 / 9);
    assert.equal(r.json.micro_recall, 1);
    assert.equal(r.json.accuracy, 5 / 6);
    assert.match(r.out, /decision: the run's decisions \(column `predicted`\)/);
    assert.match(r.out, /samples avg/);
    for (const f of ['per_label_f1.svg', 'label_counts.svg', 'label_cooccurrence.svg', 'pr_per_label.svg']) {
      assert.match(readFileSync(path.join(dir, f), 'utf8'), /Nucleoli/, f);
    }
    // At 0.5 for every label: a4 loses Nucleoli.
    const fixed = await cellabEvaluate([fixture('predictions-multilabel.csv'), '--threshold', '0.5', '--json']);
    assert.equal(fixed.json.micro_recall, 7 / 8);
    const top1 = await cellabEvaluate([fixture('predictions-multilabel.csv'), '--top-k', '1', '--json']);
    assert.equal(top1.json.predicted_labels_per_sample, 1);
    assert.equal(top1.json.micro_recall, 5 / 8);
    const bad = await cellabEvaluate([fixture('predictions-multilabel.csv'), '--top-k', '4']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /--top-k 4: expected an integer from 1 to 3/);
    const single = await cellabEvaluate([fixture('predictions-6class.csv'), '--threshold', '0.5']);
    assert.equal(single.code, 1);
    assert.match(single.err, /--threshold and --top-k apply to multi-label files/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
