// Multi-label datasets: label sets as HPA distributes them (2018 `Target` "16 0",
// 2021 `Label` "8|5"), one-hot columns, class names from the class list or a
// mapping file; iterative stratification (grouped by plate); per-label weights;
// the anomaly filter; targets in batches; several stains per image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadDataset } from '../../src/data/load';
import { splitDataset } from '../../src/data/split';
import { iterativeAssign } from '../../src/data/iterative-stratification';
import { computeLabelWeights } from '../../src/data/class-weights';
import { filterByMeanIntensity } from '../../src/data/anomaly';
import { checkTrainingClasses } from '../../src/data/split-checks';
import { prepareImage } from '../../src/data/image';
import { prepareSplitSources } from '../../src/data/split-sources';
import { classCounts } from '../../src/data/summary';
import { DataError } from '../../src/data/bad-input';
import type { DatasetItem } from '../../src/data/types';
import { Random } from '../../src/engine/random';
import { config, gradient, python, tmpDir, writeImage } from './helpers';

const HPA = ['Nucleoplasm', 'Nuclear membrane', 'Nucleoli', 'Nucleoli fibrillar center', 'Nuclear speckles', 'Nuclear bodies',
  'Endoplasmic reticulum', 'Golgi apparatus', 'Intermediate filaments', 'Actin filaments', 'Microtubules', 'Mitotic spindle',
  'Centrosome', 'Plasma membrane', 'Mitochondria', 'Aggresome', 'Cytosol', 'Vesicles and punctate cytosolic patterns', 'Negative'];

async function hpaFolder(csv: string, ids: string[]): Promise<string> {
  const root = path.join(tmpDir(), 'hpa');
  for (const id of ids) for (const c of ['red', 'green', 'blue', 'yellow']) await writeImage(path.join(root, 'train', `${id}_${c}.png`), gradient(8, 8), 8, 8, 1);
  fs.writeFileSync(path.join(root, 'train.csv'), csv);
  return root;
}

test('HPA 2018 (Id,Target "16 0") and 2021 (ID,Label "8|5") label sets become class names in class order', async () => {
  const root = await hpaFolder('Id,Target\na1,16 0\nb2,7\nc3,0 13 16\n', ['a1', 'b2', 'c3']);
  const ds = loadDataset(config({ format: 'csv', manifest: path.join(root, 'train.csv'), root, columns: { id: 'Id', label: 'Target' },
    pathPattern: 'train/{id}_green.png', multiLabel: 'multi', classes: HPA }));
  assert.deepEqual(ds.classes, HPA);
  assert.deepEqual(ds.items.map((i) => i.labels), [['Nucleoplasm', 'Cytosol'], ['Golgi apparatus'], ['Nucleoplasm', 'Plasma membrane', 'Cytosol']]);
  assert.equal(ds.items[0].label, 'Nucleoplasm|Cytosol');
  // 2021: `|`-separated ids named by a mapping file (CSV with a header); classes are the map's names, in id order.
  const r21 = await hpaFolder('ID,Label\nx1,8|5\nx2,5\nx3,14|8|5\n', ['x1', 'x2', 'x3']);
  fs.writeFileSync(path.join(r21, 'names.csv'), 'id,name\n5,Nuclear bodies\n8,Intermediate filaments\n14,Mitochondria\n');
  const ds21 = loadDataset(config({ format: 'csv', manifest: path.join(r21, 'train.csv'), root: r21, columns: { id: 'ID', label: 'Label' },
    channelFiles: { green: 'train/{id}_green.png', yellow: 'train/{id}_yellow.png' }, multiLabel: 'multi', classMap: path.join(r21, 'names.csv') }));
  assert.deepEqual(ds21.classes, ['Nuclear bodies', 'Intermediate filaments', 'Mitochondria']);
  assert.deepEqual(ds21.items[2].labels, ['Nuclear bodies', 'Intermediate filaments', 'Mitochondria']);
  assert.deepEqual(Object.keys(ds21.items[0].channelPaths!), ['green', 'yellow']);
  // A label name with a space is one label when it is a known class.
  const named = await hpaFolder('ID,Label\nn1,Nuclear membrane\nn2,Nuclear membrane|Cytosol\n', ['n1', 'n2']);
  const dsn = loadDataset(config({ format: 'csv', manifest: path.join(named, 'train.csv'), root: named, columns: { id: 'ID', label: 'Label' },
    pathPattern: 'train/{id}_green.png', multiLabel: 'multi', classes: HPA }));
  assert.deepEqual(dsn.items.map((i) => i.labels), [['Nuclear membrane'], ['Nuclear membrane', 'Cytosol']]);
  // The first-label reduction names ids too.
  const first = loadDataset(config({ format: 'csv', manifest: path.join(root, 'train.csv'), root, columns: { id: 'Id', label: 'Target' },
    pathPattern: 'train/{id}_green.png', multiLabel: 'first', classes: HPA }));
  assert.deepEqual(first.items.map((i) => i.label), ['Cytosol', 'Golgi apparatus', 'Nucleoplasm']);
});

test('one-hot label columns; unknown ids and empty sets are bad input naming the row', async () => {
  const root = await hpaFolder('ID,Nucleoplasm,Cytosol,Vesicles\na,1,0,1\nb,0,1,0\nc,1,1,0\n', ['a', 'b', 'c']);
  const ds = loadDataset(config({ format: 'csv', manifest: path.join(root, 'train.csv'), root, columns: { id: 'ID' },
    pathPattern: 'train/{id}_green.png', multiLabel: 'multi', labelColumns: ['Nucleoplasm', 'Cytosol', 'Vesicles'] }));
  assert.deepEqual(ds.classes, ['Cytosol', 'Nucleoplasm', 'Vesicles']);
  assert.deepEqual(ds.items.map((i) => i.labels), [['Nucleoplasm', 'Vesicles'], ['Cytosol'], ['Cytosol', 'Nucleoplasm']]);
  const bad = await hpaFolder('ID,Label\na,0|99\nb,\nc,1\n', ['a', 'b', 'c']);
  fs.writeFileSync(path.join(bad, 'names.json'), JSON.stringify({ 0: 'Nucleoplasm', 1: 'Nuclear membrane' }));
  const manifest = path.join(bad, 'train.csv');
  assert.throws(() => loadDataset(config({ format: 'csv', manifest, root: bad, columns: { id: 'ID', label: 'Label' }, pathPattern: 'train/{id}_green.png',
    multiLabel: 'multi', classMap: path.join(bad, 'names.json') })), (err: unknown) => {
    const m = (err as DataError).message;
    assert.match(m, new RegExp(`${manifest.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: unknown label\\(s\\) '99': expected label ids 0, 1 \\(dataset.classMap\\)`));
    assert.match(m, /:3: empty label \(column Label\) for b/);
    return true;
  });
  assert.throws(() => loadDataset(config({ format: 'icpr2012', root: bad, multiLabel: 'multi' })), /multiLabel: multi reads label sets from a CSV manifest/);
});

/** Items with unequal, co-occurring labels and plates (groups) of 3-8 images. */
function plateItems(n: number, seed: number): DatasetItem[] {
  const r = new Random(seed);
  const names = ['a_common', 'b', 'c', 'd_rare', 'e_rare'];
  const freq = [0.6, 0.35, 0.2, 0.05, 0.03];
  const items: DatasetItem[] = [];
  let plate = 0, left = 0;
  for (let i = 0; i < n; i++) {
    if (left-- <= 0) { plate++; left = 3 + r.int(6); }
    let labels = names.filter((_, k) => r.bool(freq[k]));
    if (!labels.length) labels = ['b'];
    items.push({ id: `i${i}`, path: `/x/i${i}.png`, label: labels.join('|'), labels, group: `plate${plate}`, extra: {} });
  }
  return items;
}

test('iterative stratification: label shares follow the fractions, rare labels reach both sides, no plate on both sides', () => {
  const items = plateItems(400, 3);
  const split = splitDataset(items, { kind: 'stratified', folds: 5, valFraction: 0.15, testFraction: 0.2, seed: 1 });
  const sides = { train: split.train, val: split.val, test: split.test };
  const plates = Object.values(sides).map((s) => new Set(s.map((i) => i.group)));
  for (let a = 0; a < 3; a++) for (let b = a + 1; b < 3; b++) assert.deepEqual([...plates[a]].filter((p) => plates[b].has(p)), [], 'a plate on two sides');
  assert.equal(split.train.length + split.val.length + split.test.length, 400);
  for (const label of ['a_common', 'b', 'c', 'd_rare', 'e_rare']) {
    const count = (s: DatasetItem[]) => s.filter((i) => i.labels!.includes(label)).length;
    const total = count(items);
    assert.ok(count(split.test) > 0 && count(split.val) > 0 && count(split.train) > 0, `${label} (${total} items) missing from a side`);
    if (total >= 40) assert.ok(Math.abs(count(split.test) / total - 0.2) < 0.07, `${label}: ${count(split.test)} of ${total} in test`);
  }
  // Without plates the same split is per item; folds of a k-fold partition the data.
  const loose = items.map(({ group: _g, ...it }) => it);
  const folds = [0, 1, 2].map((f) => splitDataset(loose, { kind: 'stratified-kfold', folds: 3, valFraction: 0.1, testFraction: 0.2, seed: 2 }, f).test);
  assert.equal(new Set(folds.flat().map((i) => i.id)).size, 400);
  for (const f of folds) assert.ok(f.filter((i) => i.labels!.includes('e_rare')).length >= 1, 'a rare label in every fold');
});

test('iterative assignment follows scikit-multilearn: the rarest label first, then the fold that wants it most', () => {
  // Two items carry the rare label 1: with proportions 0.5/0.5 they go to different folds.
  const units = [[1, 0], [1, 1], [1, 0], [1, 1], [1, 0], [1, 0]].map((counts) => ({ counts, size: 1 }));
  for (const seed of [1, 2, 3]) {
    const fold = iterativeAssign(units, [0.5, 0.5], seed);
    assert.notEqual(fold[1], fold[3], `seed ${seed}: the two rare items share a fold`);
    assert.equal([...fold].filter((f) => f === 0).length, 3);
  }
});

test('per-label weights: one-minus-frequency 1 - n_c/N, inverse (N - n_c)/n_c; a label without training images is named', () => {
  const targets = Uint8Array.from([1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0, 1]); // 4 images x 3 labels: counts 3, 1, 2
  const w = computeLabelWeights(targets, ['a', 'b', 'c'], 'one-minus-frequency');
  assert.deepEqual(w.counts, [3, 1, 2]);
  assert.deepEqual(w.perClass, [1 - 3 / 4, 1 - 1 / 4, 1 - 2 / 4]);
  assert.deepEqual(computeLabelWeights(targets, ['a', 'b', 'c'], 'inverse').perClass, [1 / 3, 3, 1]);
  assert.deepEqual(computeLabelWeights(targets, ['a', 'b', 'c'], { B: 5 }).perClass, [1, 5, 1]);
  assert.throws(() => computeLabelWeights(Uint8Array.from([1, 0, 1, 0]), ['a', 'b'], 'inverse'), /none carry b/);
  // The summary counts an image once per label; a label with no training images is bad input.
  const items: DatasetItem[] = [
    { id: '1', path: '/1', label: 'a|b', labels: ['a', 'b'], extra: {} }, { id: '2', path: '/2', label: 'a', labels: ['a'], extra: {} },
    { id: '3', path: '/3', label: 'a|c', labels: ['a', 'c'], extra: {} },
  ];
  assert.deepEqual(classCounts(items).map((r) => [r.class, r.total]), [['a', 3], ['b', 1], ['c', 1]]);
  const checked = checkTrainingClasses({ train: items.slice(0, 2), val: [], test: [items[2]] }, ['a', 'b', 'c'], 'skip');
  assert.deepEqual(checked.classes, ['a', 'b']);
  assert.deepEqual(checked.split.test[0].labels, ['a'], 'the test image keeps its other label');
  assert.match(checked.skipped[0].problem, /has no training items \(1 item\(s\) in val\/test/);
});

test('anomaly filter: a multi-label image goes when it is off in every class that judges it', () => {
  const items: DatasetItem[] = [];
  const means = new Map<string, number>();
  const r = new Random(5);
  for (let i = 0; i < 40; i++) {
    const labels = i % 2 ? ['a', 'b'] : ['a'];
    items.push({ id: `n${i}`, path: `/n${i}`, label: labels.join('|'), labels, extra: {} });
    means.set(`n${i}`, 0.3 + 0.01 * r.normal());
  }
  items.push({ id: 'dark', path: '/dark', label: 'a|b', labels: ['a', 'b'], extra: {} });
  means.set('dark', 0.01);
  const res = filterByMeanIntensity(items, { std: 3, means });
  assert.deepEqual(res.dropped.map((d) => d.id), ['dark']);
  assert.match(res.dropped[0].reason, /^a: mean intensity 0\.0100 is .* std below the class mean.*; b: /);
  assert.equal(res.kept.length, 40);
});

test('several stains per image: listed order, per-stain files (16-bit TIFF kept, 8-bit scaled), channels of one file, clear errors', async () => {
  const dir = tmpDir();
  python(`
import sys, numpy as np
from PIL import Image
d = sys.argv[1]
y, x = np.mgrid[0:8, 0:8]
Image.fromarray((x * 8000 + y).astype(np.uint16)).save(f"{d}/s_green.tif")
for name, v in (("red", 10), ("blue", 20), ("yellow", 30)):
    Image.fromarray(np.full((8, 8), v, np.uint8)).save(f"{d}/s_{name}.png")
Image.fromarray(np.dstack([np.full((8, 8), v, np.uint8) for v in (10, 40, 20, 30)]), "RGBA").save(f"{d}/one.tif")
print("null")
`, [dir]);
  const item: DatasetItem = { id: 's', path: path.join(dir, 's_green.tif'), label: 'a', labels: ['a'], extra: {},
    channelPaths: Object.fromEntries(['red', 'green', 'blue', 'yellow'].map((c) => [c, path.join(dir, `s_${c}.${c === 'green' ? 'tif' : 'png'}`)])) };
  const img = await prepareImage(item, { size: 8, resize: 'stretch', channels: ['green', 'red', 'blue', 'yellow'], mask: false });
  assert.equal(img.bitDepth, 16);
  assert.equal(img.pixels.length, 8 * 8 * 4);
  // Pixel (x=1, y=0): green 8000 of 65535; red 10, blue 20, yellow 30 of 255 (x257).
  assert.deepEqual(Array.from(img.pixels.subarray(4, 8)), [8000, 10 * 257, 20 * 257, 30 * 257]);
  // The mean intensity of a stain list is its first stain's: the protein (green).
  const greenMean = Array.from({ length: 64 }, (_, i) => (i % 8) * 8000 + Math.floor(i / 8)).reduce((a, b) => a + b, 0) / 64 / 65535;
  assert.ok(Math.abs(img.mean - greenMean) < 1e-9);
  const one = await prepareImage({ id: 'o', path: path.join(dir, 'one.tif'), label: 'a', extra: {} }, { size: 8, resize: 'stretch', channels: ['yellow', 'green'], mask: false });
  assert.deepEqual(Array.from(one.pixels.subarray(0, 2)), [30, 40]);
  await assert.rejects(prepareImage({ id: 'g', path: path.join(dir, 's_red.png'), label: 'a', extra: {} }, { size: 8, resize: 'stretch', channels: ['green', 'red'], mask: false }),
    /s_red\.png: is a one-channel \(grey\) image but image.channels lists \[green, red\].*dataset\.channelFiles/);
  await assert.rejects(prepareImage({ ...item, channelPaths: { green: item.channelPaths!.green } }, { size: 8, resize: 'stretch', channels: ['green', 'yellow'], mask: false }),
    /image.channels is \[green, yellow\] but the item has no yellow channel file \(dataset.channelFiles.yellow\)/);
});

test('split sources carry 0/1 label sets; batches hold them as targets; weights are per label', async () => {
  const root = await hpaFolder('ID,Label,Plate\n' + Array.from({ length: 24 }, (_, i) => `p${i},${['0|16', '16', '0', '2|0'][i % 4]},${Math.floor(i / 3)}`).join('\n') + '\n',
    Array.from({ length: 24 }, (_, i) => `p${i}`));
  const cfg = config({ format: 'csv', manifest: path.join(root, 'train.csv'), root, columns: { id: 'ID', label: 'Label', group: 'Plate' },
    channelFiles: { green: 'train/{id}_green.png', red: 'train/{id}_red.png', blue: 'train/{id}_blue.png', yellow: 'train/{id}_yellow.png' },
    multiLabel: 'multi', classes: HPA.slice(0, 17), image: { size: 8, channels: ['green', 'red', 'blue', 'yellow'] },
    split: { kind: 'stratified', testFraction: 0.25, valFraction: 0.2 }, classWeights: 'one-minus-frequency', cache: { enabled: false }, onBadInput: 'skip' });
  const ds = loadDataset(cfg);
  const split = splitDataset(ds.items, cfg.split);
  const s = await prepareSplitSources(split, ds.classes, cfg);
  try {
    assert.equal(s.multiLabel, true);
    // Labels without training images are dropped (skipped, listed).
    assert.deepEqual(s.classes, ['Nucleoplasm', 'Nucleoli', 'Cytosol']);
    assert.ok(s.skipped.some((b) => b.where === "class 'Nuclear membrane'"));
    assert.deepEqual(s.shape, [8, 8, 4]);
    const K = 3;
    const t = s.train.targets!;
    const counts = [0, 1, 2].map((c) => Array.from({ length: s.train.size }, (_, i) => t[i * K + c]).reduce((a, b) => a + b, 0));
    assert.deepEqual(s.classWeights.counts, counts);
    assert.deepEqual(s.classWeights.perClass, counts.map((n) => 1 - n / s.train.size));
    const b = [...s.test.batches({ batchSize: 100 })][0];
    const y = b.y.arraySync() as number[][];
    b.ids.forEach((id, r) => {
      const truth = ds.items.find((i) => i.id === id)!.labels!;
      assert.deepEqual(s.classes.filter((_, c) => y[r][c] === 1), truth, `targets of ${id}`);
      assert.deepEqual(Array.from(b.targets!.subarray(r * K, (r + 1) * K)), y[r]);
    });
    b.x.dispose(); b.y.dispose();
  } finally {
    s.close();
  }
});
