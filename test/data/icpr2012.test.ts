import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadDataset } from '../../src/data/load';
import { config, ellipseMask, gradient, synthSet, synthTruth, tmpDir, writeImage } from './helpers';

test('the ICPR 2012 layout: labels, given split, masks, specimen from cells.csv, intensity from training.csv', async () => {
  const root = await synthSet('patterns', 120);
  const ds = loadDataset(config({ format: 'icpr2012', root, image: { mask: true } }));
  const truth = new Map(synthTruth(root).map((r) => [r.id, r]));
  assert.equal(ds.items.length, truth.size);
  assert.deepEqual(ds.classes, ['centromere', 'coarse_speckled', 'cytoplasmatic', 'fine_speckled', 'homogeneous', 'nucleolar']);
  for (const it of ds.items) {
    const t = truth.get(it.id)!;
    assert.equal(it.label, t.pattern);
    assert.equal(it.split, t.split === 'training' ? 'train' : 'test');
    assert.equal(it.group, t.specimen);
    assert.equal(it.extra.intensity, t.intensity);
    assert.equal(it.path, path.join(root, t.path));
    assert.equal(it.maskPath, path.join(root, t.mask));
  }
});

test('I3A layout: train/NNNNN.png with NNNNN_Mask.png, gt_training.csv at the root, labels trimmed and matched case-insensitively', async () => {
  const root = path.join(tmpDir(), 'i3a');
  const labels = ['Homogeneous ', 'homogeneous', 'Speckled', 'Golgi', 'speckled'];
  for (let i = 1; i <= labels.length; i++) {
    const stem = String(i).padStart(5, '0');
    await writeImage(path.join(root, 'train', `${stem}.png`), gradient(20, 18), 20, 18, 1);
    await writeImage(path.join(root, 'train', `${stem}_Mask.png`), ellipseMask(20, 18), 20, 18, 1);
  }
  fs.writeFileSync(path.join(root, 'gt_training.csv'), `ID,pattern\n${labels.map((l, i) => `${i + 1},${l}`).join('\n')}\n`);
  const ds = loadDataset(config({ format: 'icpr2012', root, image: { mask: true } }));
  // One class per spelling up to case; a tie goes to the first spelling in sort order.
  assert.deepEqual(ds.items.map((i) => i.label), ['Homogeneous', 'Homogeneous', 'Speckled', 'Golgi', 'Speckled']);
  assert.deepEqual(ds.classes, ['Golgi', 'Homogeneous', 'Speckled']);
  assert.equal(path.basename(ds.items[0].maskPath!), '00001_Mask.png', 'found whatever the case of _mask');
  const byPattern = loadDataset(config({ format: 'icpr2012', root, image: { mask: true }, mask: { pattern: '{id:5}_Mask.png' } }));
  assert.equal(path.basename(byPattern.items[2].maskPath!), '00003_Mask.png');
});

test('a folder that is not ICPR-like says which files were looked for', () => {
  const root = tmpDir();
  assert.throws(() => loadDataset(config({ format: 'icpr2012', root })), /does not look like an ICPR 2012 \/ I3A folder: none of training\/gt_training.csv, .* exists/);
});

test('test IDs that restart at 1 stay distinct from training IDs and take their specimen from their side of cells.csv', async () => {
  const root = path.join(tmpDir(), 'icpr');
  for (const side of ['training', 'test']) {
    for (const id of ['001', '002']) {
      await writeImage(path.join(root, side, `${id}.png`), gradient(10, 10), 10, 10, 1);
      await writeImage(path.join(root, side, `${id}_mask.png`), ellipseMask(10, 10), 10, 10, 1);
    }
    fs.writeFileSync(path.join(root, side, `gt_${side}.csv`), 'ID;pattern\n1;homogeneous\n2;nucleolar\n');
  }
  fs.writeFileSync(path.join(root, 'cells.csv'), 'ID;set;image;intensity;x;pattern;y;z\n1;training;3;positive;;homogeneous;;\n2;training;4;positive;;nucleolar;;\n1;test;17;positive;;homogeneous;;\n2;test;18;positive;;nucleolar;;\n');
  const ds = loadDataset(config({ format: 'icpr2012', root, image: { mask: true } }));
  assert.deepEqual(ds.items.map((i) => [i.id, i.split, i.group]), [['1', 'train', '3'], ['2', 'train', '4'], ['test-1', 'test', '17'], ['test-2', 'test', '18']]);
});
