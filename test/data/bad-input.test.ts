// Every bad-input case of the data pipeline fails before training with one
// message that names the offending file or row and says what to do; under
// `onBadInput: skip` the offenders are left out and listed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadDataset } from '../../src/data/load';
import { splitDataset } from '../../src/data/split';
import { prepareSplitSources } from '../../src/data/split-sources';
import { DataError } from '../../src/data/bad-input';
import { config, ellipseMask, gradient, tmpDir, writeImage } from './helpers';

interface Tiny { root: string; manifest: string; rows: string[][] }

/** 12 good 24x24 images with masks (classes a/b, 4 test items) and a manifest. */
async function tiny(): Promise<Tiny> {
  const root = tmpDir('cellab-bad-');
  const rows: string[][] = [];
  for (let i = 0; i < 12; i++) {
    await writeImage(path.join(root, `${i}.png`), gradient(24, 24).map((v) => (v + i * 9) % 256), 24, 24, 1);
    await writeImage(path.join(root, `${i}_mask.png`), ellipseMask(24, 24), 24, 24, 1);
    rows.push([`${i}.png`, i % 2 ? 'b' : 'a', i < 8 ? 'train' : 'test']);
  }
  const t = { root, manifest: path.join(root, 'labels.csv'), rows };
  writeManifest(t);
  return t;
}

function writeManifest(t: Tiny, header = 'path,label,split'): void {
  fs.writeFileSync(t.manifest, [header, ...t.rows.map((r) => r.join(','))].join('\n') + '\n');
}

const cfgOf = (t: Tiny, extra: Record<string, unknown> = {}) =>
  config({ format: 'csv', manifest: t.manifest, image: { size: 16, mask: true }, split: { kind: 'predefined', valFraction: 0 }, ...extra });

/** What a trial does before training (loadTrialData): load, split, prepare; bad input reported once, at the end. */
async function prepare(t: Tiny, extra: Record<string, unknown> = {}) {
  const cfg = cfgOf(t, extra);
  const ds = loadDataset(cfg, { collect: true });
  const s = await prepareSplitSources(splitDataset(ds.items, cfg.split), ds.classes, cfg, { earlier: ds.skipped });
  s.close();
  return { ds, s };
}

async function failsNaming(t: Tiny, pattern: RegExp, extra: Record<string, unknown> = {}): Promise<DataError> {
  let caught: unknown;
  try { await prepare(t, extra); } catch (err) { caught = err; }
  assert.ok(caught instanceof DataError, `a DataError (exit code 1), got ${String(caught)}`);
  assert.match(caught.message, pattern);
  return caught;
}

test('a corrupt or truncated image fails naming the file', async () => {
  const t = await tiny();
  const f = path.join(t.root, '3.png');
  fs.writeFileSync(f, fs.readFileSync(f).subarray(0, 60));
  await failsNaming(t, new RegExp(`1 bad input\\(s\\) in the dataset at ${t.manifest}:\\n  - ${f}: PNG (file is truncated|header).*\\nFix or remove these files/rows, or set \`dataset.onBadInput: skip\``));
});

test('an empty file fails naming the file and its manifest row', async () => {
  const t = await tiny();
  fs.writeFileSync(path.join(t.root, '5.png'), '');
  await failsNaming(t, new RegExp(`${path.join(t.root, '5.png')}: image file is empty \\(0 bytes\\): re-export it or remove the item \\(${t.manifest}:7\\)`));
});

test('a text file named .png fails naming the file as text', async () => {
  const t = await tiny();
  fs.writeFileSync(path.join(t.root, '2.png'), 'this is not an image\n');
  await failsNaming(t, new RegExp(`${path.join(t.root, '2.png')}: is not an image \\(text starting with "this is not an image`));
});

test('a missing image fails naming the file and the row', async () => {
  const t = await tiny();
  fs.rmSync(path.join(t.root, '4.png'));
  await failsNaming(t, new RegExp(`${path.join(t.root, '4.png')}: image file is missing: restore it or remove the item \\(${t.manifest}:6\\)`));
});

test('a missing mask fails naming the mask and its image', async () => {
  const t = await tiny();
  fs.rmSync(path.join(t.root, '6_mask.png'));
  await failsNaming(t, new RegExp(`${path.join(t.root, '6_mask.png')}: mask file is missing: add the mask, fix dataset.mask, or set image.mask: false \\(mask of ${path.join(t.root, '6.png')}, ${t.manifest}:8\\)`));
});

test('an image/mask size mismatch fails naming both files', async () => {
  const t = await tiny();
  await writeImage(path.join(t.root, '7_mask.png'), ellipseMask(20, 24), 20, 24, 1);
  await failsNaming(t, new RegExp(`${path.join(t.root, '7.png')}: is 24x24 but its mask ${path.join(t.root, '7_mask.png')} is 20x24`));
});

test('an unknown label fails naming the row and the expected classes', async () => {
  const t = await tiny();
  t.rows[9][1] = 'c';
  writeManifest(t);
  await failsNaming(t, new RegExp(`${t.manifest}:11: unknown label 'c': expected one of a, b \\(dataset.classes\\)`), { classes: ['a', 'b'] });
});

test('a class with no training items fails naming the class and where its items are', async () => {
  const t = await tiny();
  t.rows[10][1] = 'c';
  writeManifest(t);
  await failsNaming(t, new RegExp(`class 'c': has no training items \\(1 item\\(s\\) in val/test, e.g. ${path.join(t.root, '10.png')}\\)`));
});

test('duplicate ids fail naming both rows', async () => {
  const t = await tiny();
  t.rows.push([...t.rows[1]]);
  writeManifest(t);
  await failsNaming(t, new RegExp(`${t.manifest}:14: duplicate id '1' \\(also ${t.manifest}:3\\)`));
});

test('an empty dataset fails saying where it looked', async () => {
  const t = await tiny();
  t.rows = [];
  writeManifest(t);
  await failsNaming(t, new RegExp(`the dataset at ${t.manifest} is empty: no items were found`));
});

test('a CSV without a required column fails naming the file, the column and the columns present', async () => {
  const t = await tiny();
  writeManifest(t, 'path,kind,split');
  await failsNaming(t, new RegExp(`${t.manifest} has no label column \\(looked for label, class, pattern, target, category\\). Columns: path, kind, split. Set dataset.columns.label`));
  await failsNaming(t, new RegExp(`${t.manifest} has no column 'diagnosis' \\(set by dataset.columns.label\\). Columns: path, kind, split`), { columns: { label: 'diagnosis' } });
});

test('many offenders: one message with the first 20 and the count of the rest', async () => {
  const t = await tiny();
  for (let i = 0; i < 25; i++) t.rows.push([`gone${i}.png`, 'a', 'train']);
  writeManifest(t);
  const err = await failsNaming(t, /25 bad input\(s\) in the dataset at .*labels.csv:\n(  - .*gone\d+\.png: image file is missing.*\n){20}  \.\.\. and 5 more\n/);
  assert.equal(err.problems.length, 25);
});

test('problems found while loading and while decoding come in one message', async () => {
  const t = await tiny();
  fs.rmSync(path.join(t.root, '4.png'));
  fs.writeFileSync(path.join(t.root, '2.png'), 'text');
  const err = await failsNaming(t, /2 bad input\(s\) in the dataset at .*:\n  - .*4\.png: image file is missing.*\n  - .*2\.png: is not an image/);
  assert.equal(err.problems.length, 2);
  assert.throws(() => loadDataset(cfgOf(t)), /1 bad input\(s\)[\s\S]*4\.png: image file is missing/, 'loadDataset alone fails at once');
});

test('onBadInput: skip leaves the offenders out and reports each of them', async () => {
  const t = await tiny();
  fs.rmSync(path.join(t.root, '4.png'));
  fs.writeFileSync(path.join(t.root, '2.png'), 'text');
  await writeImage(path.join(t.root, '7_mask.png'), ellipseMask(20, 24), 20, 24, 1);
  const { ds, s } = await prepare(t, { onBadInput: 'skip' });
  assert.equal(ds.skipped.length, 1, 'the missing file, at load');
  assert.equal(s.skipped.length, 2, 'the text file and the size mismatch, at decode');
  assert.deepEqual([...ds.skipped, ...s.skipped].map((p) => path.basename(p.where)).sort(), ['2.png', '4.png', '7.png']);
  assert.equal(s.train.size + s.val.size + s.test.size, 9);
  assert.ok(!s.train.ids.includes('2') && !s.train.ids.includes('7'));
});

test('a manifest row with the wrong number of cells fails naming file and line; under skip it is counted and left out', async () => {
  const t = await tiny();
  t.rows[3] = ['3.png', 'b', 'train', 'extra'];
  t.rows[5] = ['5.png,b'];
  writeManifest(t);
  const err = await failsNaming(t, new RegExp(`2 bad input\\(s\\)[\\s\\S]*${t.manifest}:5: 4 cell\\(s\\) but the header \\(line 1\\) has 3[\\s\\S]*${t.manifest}:7: 2 cell\\(s\\)`));
  assert.equal(err.problems.length, 2);
  const { ds } = await prepare(t, { onBadInput: 'skip' });
  assert.equal(ds.items.length, 10);
  assert.deepEqual(ds.skipped.map((p) => p.where), [`${t.manifest}:5`, `${t.manifest}:7`]);
});
