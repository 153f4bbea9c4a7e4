// dataset.cells: field images cut into single-cell crops from a segmentation label
// image or from Otsu's threshold of the nuclear stain, checked on synthetic fields
// whose cells are known; crops inherit the image's labels; cell scores aggregate
// back to image predictions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Random } from '../../src/engine/random';
import { renderField, plateLook } from '../../src/data/synth/protein-field';
import { encodeGreyPng } from '../../src/data/synth/png';
import { cellItems } from '../../src/data/cells/expand';
import { connectedComponents, labelBoxes, otsuThreshold } from '../../src/data/cells/segment';
import { prepareImage } from '../../src/data/image';
import { aggregateByImage } from '../../src/eval/aggregate';
import type { CellsConfig } from '../../src/data/schema';
import type { DatasetItem } from '../../src/data/types';
import { python, tmpDir } from './helpers';

const CELLS: CellsConfig = { nucleiChannel: 'blue', expand: 2.2, minArea: 30, maxCells: 16, isolate: true, aggregate: 'mean' };

/** Fields of known cells written as HPA files (+ segmentation); returns items and the true cell boxes. */
function fields(dir: string, n: number): { items: DatasetItem[]; truth: Map<string, [number, number, number, number][]> } {
  const items: DatasetItem[] = [];
  const truth = new Map<string, [number, number, number, number][]>();
  const rng = new Random(9);
  for (let i = 0; i < n; i++) {
    const f = renderField(['Nucleoplasm', 'Cytosol'], plateLook(rng.fork('plate')), '', 128, rng.fork('field', i));
    const id = `f${i}`;
    const channelPaths: DatasetItem['channelPaths'] = {};
    for (const s of ['red', 'green', 'blue', 'yellow'] as const) {
      channelPaths[s] = path.join(dir, `${id}_${s}.png`);
      fs.writeFileSync(channelPaths[s]!, encodeGreyPng(f.stains[s], 128, 128, id));
    }
    fs.writeFileSync(path.join(dir, `${id}_cells.png`), encodeGreyPng(f.cells, 128, 128, id));
    truth.set(id, f.boxes);
    items.push({ id, path: channelPaths.green!, label: 'Nucleoplasm|Cytosol', labels: ['Nucleoplasm', 'Cytosol'], group: 'plate1', extra: {}, channelPaths });
  }
  return { items, truth };
}

const overlap = (a: { x: number; y: number; width: number; height: number }, b: [number, number, number, number]) => {
  const w = Math.max(0, Math.min(a.x + a.width, b[2]) - Math.max(a.x, b[0])), h = Math.max(0, Math.min(a.y + a.height, b[3]) - Math.max(a.y, b[1]));
  return (w * h) / ((b[2] - b[0]) * (b[3] - b[1]));
};

test('Otsu threshold equals scikit-image-free brute force; components and boxes of a label image', () => {
  const r = new Random(1);
  const values = Array.from({ length: 500 }, () => (r.bool(0.3) ? 180 + r.int(60) : 10 + r.int(50)));
  const t = otsuThreshold(values);
  // Brute force: the cut maximising the between-class variance.
  let best = -1, bestT = 0;
  for (let c = 0; c < 255; c++) {
    const lo = values.filter((v) => v <= c), hi = values.filter((v) => v > c);
    if (!lo.length || !hi.length) continue;
    const m = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const v = lo.length * hi.length * (m(lo) - m(hi)) ** 2;
    if (v > best) { best = v; bestT = c; }
  }
  assert.equal(t, bestT);
  const img = [0, 1, 1, 0, 2, 2, 0, 0, 0, 0, 2, 2, 3, 0, 0, 0];
  assert.deepEqual(labelBoxes(img, 4, 4).map((b) => [b.cell, b.x, b.y, b.width, b.height, b.area]), [[1, 1, 0, 2, 1, 2], [2, 0, 1, 4, 2, 4], [3, 0, 3, 1, 1, 1]]);
  assert.equal(connectedComponents(img.map((v) => (v ? 1 : 0)), 4, 4).count, 3);
});

test('cells of synthetic fields: a segmentation gives every known cell exactly; Otsu on the nuclei finds each one', async () => {
  const dir = tmpDir();
  const { items, truth } = fields(dir, 6);
  const seg = await cellItems(items, { ...CELLS, segmentation: '{id}_cells.png' }, dir);
  const otsu = await cellItems(items, CELLS, dir);
  assert.deepEqual(seg.skipped, []);
  for (const im of items) {
    const known = truth.get(im.id)!;
    const bySeg = seg.items.filter((c) => c.crop!.image === im.id);
    assert.deepEqual(bySeg.map((c) => [c.crop!.x, c.crop!.y, c.crop!.x + c.crop!.width, c.crop!.y + c.crop!.height]).sort(), [...known].sort(), `${im.id}: segmented boxes`);
    const byOtsu = otsu.items.filter((c) => c.crop!.image === im.id);
    assert.equal(byOtsu.length, known.length, `${im.id}: Otsu finds ${byOtsu.length} of ${known.length} cells`);
    for (const k of known) assert.ok(byOtsu.some((c) => overlap(c.crop!, k) > 0.6), `${im.id}: known cell ${k} not covered by an Otsu crop`);
  }
  // Crops inherit the image's labels and group, and are named after it.
  const c = seg.items[0];
  assert.deepEqual(c.labels, ['Nucleoplasm', 'Cytosol']);
  assert.equal(c.group, 'plate1');
  assert.match(c.id, /^f0#c\d+$/);
  assert.equal(c.extra.image, 'f0');
});

test('a crop holds its cell only (other cells zeroed with a segmentation); an image without cells is bad input', async () => {
  const dir = tmpDir();
  const { items } = fields(dir, 1);
  const seg = await cellItems(items, { ...CELLS, segmentation: '{id}_cells.png' }, dir);
  // A square region around the first cell (so the prepared crop is pixel for pixel), neighbours included.
  const first = seg.items[0].crop!;
  const side = Math.min(128 - first.x, 128 - first.y, Math.max(first.width, first.height) + 12);
  const cell: DatasetItem = { ...seg.items[0], crop: { ...first, width: side, height: side } };
  const img = await prepareImage(cell, { size: side, resize: 'pad', channels: ['blue'], mask: false });
  const labels = python<number[]>(`
import sys, json, numpy as np
from PIL import Image
a = np.asarray(Image.open(sys.argv[1]))
x, y, w, h, v = [int(s) for s in sys.argv[2:7]]
print(json.dumps((a[y:y+h, x:x+w] == v).astype(int).reshape(-1).tolist()))
`, [path.join(dir, 'f0_cells.png'), ...[cell.crop!.x, cell.crop!.y, cell.crop!.width, cell.crop!.height, cell.crop!.cell].map(String)]);
  assert.ok(labels.some((own) => own) && labels.some((own) => !own));
  labels.forEach((own, i) => { if (!own) assert.equal(img.pixels[i], 0, `pixel ${i} outside the cell`); });
  assert.ok(labels.some((own, i) => own && img.pixels[i] > 0), 'the cell itself is kept');
  fs.writeFileSync(path.join(dir, 'empty_blue.png'), encodeGreyPng(new Uint8Array(64 * 64).fill(7), 64, 64, 'empty'));
  const empty: DatasetItem = { id: 'empty', path: path.join(dir, 'empty_blue.png'), label: 'a', labels: ['a'], extra: {}, source: 'train.csv:9', channelPaths: { blue: path.join(dir, 'empty_blue.png') } };
  const r = await cellItems([empty], CELLS, dir);
  assert.equal(r.items.length, 0);
  assert.match(r.skipped[0].problem, /no cell found: no nucleus of 30\+ pixels above Otsu's threshold .* of the blue stain/);
  assert.equal(r.skipped[0].where, 'train.csv:9');
});

test('cell scores aggregate to image scores by mean or max', () => {
  const rows = [[0.2, 0.9], [0.6, 0.7], [0.1, 0.1]];
  const mean = aggregateByImage(['a', 'a', 'b'], rows, 'mean');
  assert.deepEqual(mean.images, ['a', 'b']);
  assert.deepEqual(mean.cells, [2, 1]);
  assert.ok(Math.abs(mean.rows[0][0] - 0.4) < 1e-12 && Math.abs(mean.rows[0][1] - 0.8) < 1e-12);
  assert.deepEqual(aggregateByImage(['a', 'a', 'b'], rows, 'max').rows, [[0.6, 0.9], [0.1, 0.1]]);
  assert.throws(() => aggregateByImage(['a'], rows, 'mean'), /1 image ids for 3 score rows/);
});
