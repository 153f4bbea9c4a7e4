// The DLMI lymphocytosis layout as distributed, and the metadata encoder
// (numeric standardised on training bags, categorical one-hot).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { load, loadDataset } from '../../src/data/load';
import { birthYear, DLMI_REFERENCE_YEAR } from '../../src/data/dlmi';
import { fitMetadata, fitNumericTarget } from '../../src/data/metadata';
import { DataError } from '../../src/data/bad-input';
import type { Bag } from '../../src/data/bags';
import { config, gradient, tmpDir, writeImage } from './helpers';

/** A DLMI folder: an unnamed index column as pandas writes it, F/f spellings, a LABEL -1 patient in testset/. */
async function dlmiFolder(rows: string[], images: Record<string, number>): Promise<string> {
  const root = tmpDir('cellab-dlmi-');
  fs.writeFileSync(path.join(root, 'clinical_annotation.csv'), [',ID,LABEL,GENDER,DOB,LYMPH_COUNT', ...rows].join('\n') + '\n');
  for (const [dir, n] of Object.entries(images)) {
    for (let k = 0; k < n; k++) await writeImage(path.join(root, dir, `${String(k).padStart(6, '0')}.jpg`), gradient(12, 12, 3), 12, 12, 3, 'jpeg');
  }
  return root;
}

test('reads clinical_annotation.csv + trainset/<ID>/*.jpg: items grouped by patient, AGE from DOB, gender spellings merged, LABEL -1 left out and counted', async () => {
  const root = await dlmiFolder(
    ['0,P1,1,M,11/3/1933,11.2', '1,P2,0,f,3-11-1950,4.1', '2,P3,-1,F,1/1/1960,6', '3,P4,0,F,1975-05-02,5.5'],
    { 'trainset/P1': 3, 'trainset/P2': 2, 'testset/P3': 2, 'trainset/P4': 1 });
  const ds = loadDataset(config({ format: 'dlmi', root }));
  assert.equal(ds.unlabelled, 1);
  assert.deepEqual(ds.classes, ['malignant', 'reactive']);
  assert.equal(ds.items.length, 6);
  const p1 = ds.items.filter((i) => i.group === 'P1');
  assert.deepEqual(p1.map((i) => i.id), ['P1/000000', 'P1/000001', 'P1/000002']);
  assert.equal(p1[0].label, 'malignant');
  assert.equal(p1[0].extra.AGE, String(DLMI_REFERENCE_YEAR - 1933));
  assert.equal(p1[0].extra.LYMPH_COUNT, '11.2');
  assert.equal(ds.items.find((i) => i.group === 'P2')!.extra.GENDER, 'F');
  assert.equal(ds.items.find((i) => i.group === 'P4')!.extra.AGE, String(DLMI_REFERENCE_YEAR - 1975));
  assert.ok(!('' in p1[0].extra), 'the unnamed index column is not a column');
});

test('load() with dataset.bags: a notebook sees the bags of each side, whole', async () => {
  const rows = Array.from({ length: 8 }, (_, i) => `${i},P${i},${i % 3 ? 1 : 0},M,1/1/19${50 + i},${5 + i}`);
  const root = await dlmiFolder(rows, Object.fromEntries(rows.map((_, i) => [`trainset/P${i}`, 1 + (i % 3)])));
  const ds = await load({ format: 'dlmi', root, bags: 'ID', metadata: ['AGE'], split: { kind: 'stratified-kfold', folds: 2, valFraction: 0 }, cache: { dir: tmpDir() } }, { fold: 1 });
  const bags = ds.bags!;
  assert.equal(bags.train.length + bags.test.length, 8);
  assert.deepEqual(bags.val, []);
  assert.deepEqual(new Set(ds.test.map((i) => i.group)), new Set(bags.test.map((b) => b.id)));
  assert.equal(ds.test.length, bags.test.reduce((n, b) => n + b.items.length, 0));
  const reactive = bags.test.filter((b) => b.label === 'reactive').length;
  assert.ok(reactive === 1 || reactive === 2, `stratified by patient: 3 reactive of 8 split 2 + 1, this fold has ${reactive}`);
  assert.equal(bags.test.length, 4);
});

test('bad rows name the file and line and say what to do; skip leaves them out', async () => {
  const root = await dlmiFolder(['0,P1,1,M,11/3/1933,11', '1,P2,2,M,1/1/1950,4', '2,P3,0,M,unknown,4', '3,P5,0,M,1/1/1950,4', '4,P1,0,M,1/1/1950,4'], { 'trainset/P1': 2, 'trainset/P2': 1, 'trainset/P3': 1 });
  assert.throws(() => loadDataset(config({ format: 'dlmi', root })), (e: DataError) => {
    assert.match(e.message, /clinical_annotation\.csv:3: LABEL '2' of P2 is not 0 \(reactive\), 1 \(malignant\) or -1/);
    assert.match(e.message, /clinical_annotation\.csv:4: DOB 'unknown' of P3 has no 4-digit year/);
    assert.match(e.message, /clinical_annotation\.csv:5: patient P5 has no image folder \(looked for trainset\/P5\/ and testset\/P5\/ under /);
    assert.match(e.message, /clinical_annotation\.csv:6: patient P1 is listed twice/);
    return true;
  });
  const ds = loadDataset(config({ format: 'dlmi', root, onBadInput: 'skip' }));
  assert.deepEqual([...new Set(ds.items.map((i) => i.group))], ['P1']);
  assert.equal(ds.skipped.length, 4);
  const missing = tmpDir();
  assert.throws(() => loadDataset(config({ format: 'dlmi', root: missing })), /clinical_annotation\.csv does not exist\. Point dataset\.root at the unpacked DLMI folder/);
});

test('birthYear reads the year wherever the date format puts it', () => {
  assert.equal(birthYear('11/3/1933'), 1933);
  assert.equal(birthYear('03-11-1933 '), 1933);
  assert.equal(birthYear('1933-11-03'), 1933);
  assert.equal(birthYear('1933'), 1933);
  assert.equal(birthYear('3/11/33'), undefined);
});

const bag = (id: string, values: Record<string, string>): Bag => ({ id, label: 'x', items: [], values, group: id });

test('metadata: numeric standardised with the training bags only; categorical one-hot, unseen categories all zero', () => {
  const train = [bag('a', { AGE: '40', G: 'M' }), bag('b', { AGE: '60', G: 'F' }), bag('c', { AGE: '50', G: 'M' })];
  const enc = fitMetadata(train, ['AGE', { column: 'G', type: 'categorical' }]);
  assert.deepEqual(enc.names, ['AGE', 'G=F', 'G=M']);
  const std = Math.sqrt(200 / 3);
  assert.deepEqual(Array.from(enc.encode(bag('v', { AGE: '90', G: 'F' }))).map((v) => +v.toFixed(5)), [+(40 / std).toFixed(5), 1, 0]);
  assert.deepEqual(Array.from(enc.encode(bag('w', { AGE: '50', G: 'X' }))), [0, 0, 0]);
  // A validation patient of 90 does not move the training statistics.
  assert.equal(enc.columns[0].mean, 50);
  // auto: a text column is categorical; a numeric column with text fails naming the bag and what to do.
  assert.equal(fitMetadata(train, ['G']).columns[0].type, 'categorical');
  assert.throws(() => fitMetadata([...train, bag('d', { AGE: 'n/a', G: 'M' })], [{ column: 'AGE', type: 'numeric' }]),
    /column `AGE` is numeric but bag 'd' has 'n\/a'.*declare \{column: AGE, type: categorical\}/);
  const t = fitNumericTarget(train, 'AGE');
  assert.deepEqual(Array.from(t.encode(train)).map((v) => +v.toFixed(4)), [-1.2247, 1.2247, 0].map((v) => +v.toFixed(4)));
});
