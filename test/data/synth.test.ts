// The synthetic HEp-2 generator: what a user of the files can rely on.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateSynthetic, ICPR2012_COUNTS, PATTERNS, SYNTH_CSV_HEADER } from '../../src/data/synth/index';
import { fileStem } from '../../src/data/synth/generate';
import { DataError } from '../../src/data/bad-input';
import { hashTree } from './helpers';
import { drawCell } from '../../src/data/synth/cell-shape';
import { imageCell, specimenLook } from '../../src/data/synth/specimen';
import { renderStain } from '../../src/data/synth/textures';
import { Random, seedFrom } from '../../src/engine/random';
import { decodeGrey, featuresOf, gaussianAca, readSynthCsv, type SynthRow } from './synth-features';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-synth-test-'));
after(() => fs.rmSync(TMP, { recursive: true, force: true }));
const dirFor = (name: string) => path.join(TMP, name);

const readLines = (file: string) => fs.readFileSync(file, 'utf8').trimEnd().split('\n');

// One small patterns set shared by the layout tests (generated once).
let shared: Promise<string> | undefined;
function patterns60(): Promise<string> {
  shared ??= generateSynthetic({ out: dirFor('p60'), kind: 'patterns', n: 60, seed: 3 }).then((s) => s.out);
  return shared;
}

test('the same seed gives byte-identical files in another folder; another seed gives different ones', async () => {
  for (const [kind, n] of [['patterns', 60], ['intensity', 30]] as const) {
    await generateSynthetic({ out: dirFor(`${kind}-a`), kind, n, seed: 11 });
    await generateSynthetic({ out: dirFor(`${kind}-b`), kind, n, seed: 11 });
    await generateSynthetic({ out: dirFor(`${kind}-c`), kind, n, seed: 12 });
    const a = hashTree(dirFor(`${kind}-a`)), b = hashTree(dirFor(`${kind}-b`)), c = hashTree(dirFor(`${kind}-c`));
    assert.ok(a.size >= 2 * n + 2, `${kind}: ${a.size} files`);
    assert.deepEqual([...b.entries()], [...a.entries()], `${kind}: same seed, same bytes`);
    const images = [...a.keys()].filter((f) => f.endsWith('.png') && !f.endsWith('_mask.png'));
    const differing = images.filter((f) => c.get(f) !== a.get(f)).length;
    assert.ok(differing >= 0.9 * images.length, `${kind}: only ${differing}/${images.length} images differ with another seed`);
  }
});

test('ICPR 2012 layout: cells.csv, training/ and test/ manifests with their headers, IDs unique across splits', async () => {
  const root = await patterns60();
  const cells = readLines(path.join(root, 'cells.csv'));
  assert.equal(cells[0], 'ID;set;image;intensity;x5;pattern;x7;x8');
  assert.equal(cells.length, 61);
  for (const line of cells.slice(1)) assert.equal(line.split(';').length, 8, line);
  const truth = readSynthCsv(root);
  assert.equal(readLines(path.join(root, 'synth.csv'))[0], SYNTH_CSV_HEADER);
  assert.equal(SYNTH_CSV_HEADER, 'id,path,mask,pattern,intensity,specimen,split,anomaly');
  const ids = truth.map((r) => r.id);
  assert.equal(new Set(ids).size, 60, 'IDs are unique across training and test');
  for (const [side, file, gt] of [['training', 'training.csv', 'gt_training.csv'], ['test', 'test.csv', 'gt_test.csv']] as const) {
    const rows = truth.filter((r) => r.split === side);
    const manifest = readLines(path.join(root, side, file));
    const labels = readLines(path.join(root, side, gt));
    assert.equal(manifest[0], 'ID;intensity;width;height');
    assert.equal(labels[0], 'ID;pattern');
    assert.deepEqual(labels.slice(1), rows.map((r) => `${r.id};${r.pattern}`));
    assert.deepEqual(manifest.slice(1).map((l) => l.split(';').slice(0, 2).join(';')), rows.map((r) => `${r.id};${r.intensity}`));
    for (const r of rows) {
      assert.equal(r.path, `${side}/${r.id.padStart(3, '0')}.png`);
      assert.equal(r.mask, `${side}/${r.id.padStart(3, '0')}_mask.png`);
      assert.ok(fs.existsSync(path.join(root, r.path)) && fs.existsSync(path.join(root, r.mask)), r.path);
      assert.match(r.intensity, /^(positive|intermediate)$/);
      assert.ok((PATTERNS as readonly string[]).includes(r.pattern), r.pattern);
    }
  }
  // cells.csv agrees with synth.csv on split, specimen, intensity and pattern.
  const byId = new Map(truth.map((r) => [r.id, r]));
  for (const line of cells.slice(1)) {
    const [id, set, image, intensity, , pattern] = line.split(';');
    const r = byId.get(id)!;
    assert.deepEqual([set, image, intensity, pattern], [r.split, r.specimen, r.intensity, r.pattern]);
  }
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  assert.match(readme, /--kind patterns --n 60 --seed 3 --anomalies 0\.02/);
  assert.ok(!readme.includes(TMP), 'README holds no absolute path (files must not depend on where they were written)');
  for (const kind of ['saturated', 'near_black', 'defocused']) assert.match(readme, new RegExp(`^- \`${kind}\`: `, 'm'), `README documents the ${kind} anomaly`);
  assert.match(readme, /mean-intensity\s+filter .* does not catch it/s, 'README says the mean-intensity filter misses defocus');
});

test('file names: 3-digit IDs up to n = 999, 4 digits above (ICPR); intensity images use at least 4', () => {
  assert.equal(fileStem(7, 'patterns', 999), '007');
  assert.equal(fileStem(7, 'patterns', 1455), '0007');
  assert.equal(fileStem(1455, 'patterns', 1455), '1455');
  assert.equal(fileStem(7, 'intensity', 300), '0007');
  assert.equal(fileStem(7, 'intensity', 12000), '00007');
});

test('images are 8-bit grey crops of 60-100 px, often not square; masks are binary 0/255 and match their image size', async () => {
  const root = await patterns60();
  let nonSquare = 0;
  for (const r of readSynthCsv(root)) {
    const img = await decodeGrey(path.join(root, r.path));
    const mask = await decodeGrey(path.join(root, r.mask));
    assert.equal(img.channels, 1, `${r.path} is one channel`);
    assert.equal(mask.channels, 1);
    assert.ok(img.width >= 60 && img.width <= 100 && img.height >= 60 && img.height <= 100, `${r.path}: ${img.width}x${img.height}`);
    assert.deepEqual([mask.width, mask.height], [img.width, img.height], `${r.mask} matches its image`);
    let inside = 0;
    for (const v of mask.data) {
      assert.ok(v === 0 || v === 255, `${r.mask} holds ${v}`);
      if (v) inside++;
    }
    // The cell fills most of the crop but not all of it.
    assert.ok(inside > 0.4 * mask.data.length && inside < 0.95 * mask.data.length, `${r.mask}: ${inside}/${mask.data.length} inside`);
    if (img.width !== img.height) nonSquare++;
  }
  assert.ok(nonSquare > 30, `only ${nonSquare}/60 crops are not square`);
});

function specimensOf(rows: SynthRow[]): Map<string, { patterns: Set<string>; splits: Set<string> }> {
  const out = new Map<string, { patterns: Set<string>; splits: Set<string> }>();
  for (const r of rows) {
    const s = out.get(r.specimen) ?? { patterns: new Set(), splits: new Set() };
    s.patterns.add(r.pattern);
    s.splits.add(r.split);
    out.set(r.specimen, s);
  }
  return out;
}

test('28 specimens numbered 1-28, each holding one pattern on one side: 14 training, 14 test, >= 2 per pattern per side', async () => {
  for (const root of [await patterns60(), (await generateSynthetic({ out: dirFor('p400'), kind: 'patterns', n: 400, seed: 5 })).out]) {
    const specimens = specimensOf(readSynthCsv(root));
    assert.deepEqual([...specimens.keys()].map(Number).sort((a, b) => a - b), Array.from({ length: 28 }, (_, i) => i + 1));
    for (const [id, s] of specimens) {
      assert.equal(s.patterns.size, 1, `specimen ${id} holds ${[...s.patterns]}`);
      assert.equal(s.splits.size, 1, `specimen ${id} is on both sides`);
    }
    const perSide = (side: string) => [...specimens.values()].filter((s) => s.splits.has(side));
    assert.equal(perSide('training').length, 14);
    assert.equal(perSide('test').length, 14);
    for (const p of PATTERNS) {
      for (const side of ['training', 'test']) {
        assert.ok(perSide(side).filter((s) => s.patterns.has(p)).length >= 2, `${p} has < 2 ${side} specimens`);
      }
    }
  }
});

test('class counts are ICPR 2012 scaled to n: centromere most, cytoplasmatic least; about half for training', async () => {
  const rows = readSynthCsv(dirFor('p400'));
  const count = (p: string) => rows.filter((r) => r.pattern === p).length;
  for (const p of PATTERNS) {
    const expected = (400 * ICPR2012_COUNTS[p]) / 1455;
    assert.ok(Math.abs(count(p) - expected) <= 1, `${p}: ${count(p)} cells, expected ~${expected.toFixed(1)}`);
  }
  assert.equal(Math.max(...PATTERNS.map(count)), count('centromere'));
  assert.equal(Math.min(...PATTERNS.map(count)), count('cytoplasmatic'));
  const training = rows.filter((r) => r.split === 'training').length;
  assert.ok(Math.abs(training - 400 * 721 / 1455) <= 6, `${training} training cells`);
  // Each intensity occurs for every pattern on both sides (specimens alternate).
  for (const p of PATTERNS) {
    for (const side of ['training', 'test']) {
      const ints = new Set(rows.filter((r) => r.pattern === p && r.split === side).map((r) => r.intensity));
      assert.deepEqual([...ints].sort(), ['intermediate', 'positive'], `${p} ${side}`);
    }
  }
});

test('planted anomalies: round(n x fraction) of them, all three kinds, and each looks like its name', async () => {
  const root = (await generateSynthetic({ out: dirFor('anom'), kind: 'patterns', n: 150, seed: 2, anomalyFraction: 0.1 })).out;
  const rows = readSynthCsv(root);
  const marked = rows.filter((r) => r.anomaly !== '');
  assert.equal(marked.length, 15);
  assert.deepEqual([...new Set(marked.map((r) => r.anomaly))].sort(), ['defocused', 'near_black', 'saturated']);
  const f = await featuresOf(root, rows);
  const clean = rows.map((r, i) => ({ r, f: f[i] })).filter((x) => x.r.anomaly === '');
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];
  for (const [i, r] of rows.entries()) {
    if (r.anomaly === '') continue;
    const peers = clean.filter((x) => x.r.specimen === r.specimen);
    if (r.anomaly === 'saturated') {
      const img = await decodeGrey(path.join(root, r.path));
      const mask = await decodeGrey(path.join(root, r.mask));
      const clipped = img.data.filter((v, j) => mask.data[j] && v === 255).length / mask.data.filter((v) => v).length;
      assert.ok(clipped > 0.15 && f[i].maskMean > 150,
        `${r.path}: ${(100 * clipped).toFixed(0)}% of the cell clipped at 255, mean ${f[i].maskMean.toFixed(0)}`);
    } else if (r.anomaly === 'near_black') {
      assert.ok(f[i].maskMean < 8, `${r.path}: near-black cell has mean ${f[i].maskMean.toFixed(1)}`);
    } else {
      // Out of focus, the cell's light spills past its outline, but it is not a dim haze:
      // the in-mask mean stays near its specimen's (the loss of texture is checked on one
      // cell imaged both ways below; here per-pixel noise would mask it).
      const typical = (k: 'halo' | 'maskMean') => median(peers.map((x) => x.f[k]));
      assert.ok(f[i].halo > 1.5 * typical('halo'), `${r.path}: defocused cell has halo ${f[i].halo.toFixed(3)}, its specimen ${typical('halo').toFixed(3)}`);
      assert.ok(f[i].maskMean > 0.55 * typical('maskMean'), `${r.path}: defocused in-mask mean ${f[i].maskMean.toFixed(1)}, its specimen ${typical('maskMean').toFixed(1)}`);
    }
  }
  const none = await generateSynthetic({ out: dirFor('anom0'), kind: 'patterns', n: 60, seed: 2, anomalyFraction: 0 });
  assert.deepEqual(none.byAnomaly, {});
});

test('defocus conserves light: the same cell out of focus keeps ~90-100% of its signal, loses contrast and spills past its outline', (t) => {
  // One cell imaged twice with the same settings, in focus and defocused (the anomaly's draws come after the shared ones).
  const look = specimenLook('patterns', 'fine_speckled', 'positive', { brightness: 0.5, blur: 0.5, noise: 0.5, gamma: 0.5, background: 0.5, size: 0.5, grain: 0.5, contrast: 0.5 });
  const rows: string[] = [];
  for (let seed = 1; seed <= 8; seed++) {
    const rng = new Random(seed);
    const g = drawCell(rng, look.sizeScale);
    const stain = renderStain('fine_speckled', g, rng, look.texture);
    const [sharp, blurred] = (['', 'defocused'] as const).map((a) => imageCell(stain, g, look, a, new Random(seedFrom(seed, 'image'))));
    const bg = look.background;
    const stats = (img: Uint8Array) => {
      let total = 0, inside = 0, n = 0, sq = 0;
      img.forEach((v, i) => { total += v - bg; if (g.mask[i]) { inside += v; sq += v * v; n++; } });
      const mean = inside / n;
      return { total, mean, std: Math.sqrt(sq / n - mean * mean), max: Math.max(...img) };
    };
    const a = stats(sharp), b = stats(blurred);
    rows.push(`seed ${seed}: light ${(b.total / a.total).toFixed(2)}, in-mask mean ${(b.mean / a.mean).toFixed(2)}, std ${(b.std / a.std).toFixed(2)}, peak ${b.max}/${a.max}`);
    assert.ok(b.total > 0.8 * a.total && b.total < 1.1 * a.total, `seed ${seed}: defocused light ${b.total.toFixed(0)} vs ${a.total.toFixed(0)} in focus`);
    assert.ok(b.mean > 0.7 * a.mean && b.mean < a.mean, `seed ${seed}: in-mask mean ${b.mean.toFixed(1)} vs ${a.mean.toFixed(1)}`);
    assert.ok(b.std < 0.6 * a.std && b.max < a.max, `seed ${seed}: in-mask std ${b.std.toFixed(1)} vs ${a.std.toFixed(1)}, peak ${b.max} vs ${a.max}`);
  }
  t.diagnostic(rows.join('; '));
});

test('mean intensity alone is near chance (test ACA < 0.35); a texture measure separates the patterns far better', async () => {
  for (const seed of [1, 2, 3]) {
    const root = (await generateSynthetic({ out: dirFor(`chance-${seed}`), kind: 'patterns', n: 300, seed, anomalyFraction: 0 })).out;
    const rows = readSynthCsv(root);
    const f = await featuresOf(root, rows);
    const aca = (x: (i: number) => number[]) => {
      const d = rows.map((r, i) => ({ x: x(i), y: r.pattern, split: r.split }));
      return gaussianAca(d.filter((e) => e.split === 'training'), d.filter((e) => e.split === 'test'));
    };
    const byMean = aca((i) => [f[i].mean]);
    const byMaskMean = aca((i) => [f[i].maskMean]);
    const byTexture = aca((i) => [Math.log(f[i].laplacian), Math.log(f[i].cv)]);
    assert.ok(byMean < 0.35, `seed ${seed}: whole-crop mean intensity gives ACA ${byMean.toFixed(3)}`);
    assert.ok(byMaskMean < 0.35, `seed ${seed}: in-mask mean intensity gives ACA ${byMaskMean.toFixed(3)}`);
    assert.ok(byTexture > 0.45 && byTexture > byMaskMean + 0.2, `seed ${seed}: texture gives ACA ${byTexture.toFixed(3)} (mean: ${byMaskMean.toFixed(3)})`);
  }
});

test('intensity kind: images/ + labels.csv, ~28% negative by whole specimens, several images per specimen, brightness overlaps', async () => {
  const s = await generateSynthetic({ out: dirFor('int200'), kind: 'intensity', n: 200, seed: 4 });
  const root = s.out;
  const labels = readLines(path.join(root, 'labels.csv'));
  assert.equal(labels[0], 'ImageFileName,intensity,pattern,specimen,anomaly');
  assert.equal(labels.length, 201);
  const rows = readSynthCsv(root);
  for (const [i, r] of rows.entries()) {
    const [file, intensity, pattern, specimen, anomaly] = labels[i + 1].split(',');
    assert.equal(`images/${file}`, r.path);
    assert.match(file, /^\d{4}\.png$/);
    assert.deepEqual([intensity, pattern, specimen, anomaly], [r.intensity, r.pattern, r.specimen, r.anomaly]);
    assert.ok(fs.existsSync(path.join(root, r.mask)));
    assert.equal(r.split, '');
    assert.equal(r.pattern === '', r.intensity === 'negative', `${r.path}: negatives (only) have no pattern`);
  }
  const negative = rows.filter((r) => r.intensity === 'negative').length / rows.length;
  assert.ok(Math.abs(negative - 0.28) < 0.04, `${(100 * negative).toFixed(1)}% negative`);
  const bySpecimen = new Map<string, SynthRow[]>();
  for (const r of rows) bySpecimen.set(r.specimen, [...(bySpecimen.get(r.specimen) ?? []), r]);
  assert.ok(bySpecimen.size >= 15, `${bySpecimen.size} specimens`);
  for (const [id, items] of bySpecimen) {
    assert.equal(new Set(items.map((r) => r.intensity)).size, 1, `specimen ${id} mixes positive and negative`);
    assert.equal(new Set(items.map((r) => r.pattern)).size, 1, `specimen ${id} mixes patterns`);
  }
  assert.ok([...bySpecimen.values()].filter((v) => v.length >= 3).length > bySpecimen.size / 2, 'most specimens have several images');
  // Not separable by mean brightness alone: the brightest negatives outshine the dimmest positives.
  const clean = rows.map((r, i) => ({ r, i })).filter(({ r }) => r.anomaly === '');
  const f = await featuresOf(root, clean.map(({ r }) => r));
  const means = (want: string) => clean.map(({ r }, j) => ({ r, m: f[j].mean })).filter(({ r }) => r.intensity === want).map(({ m }) => m);
  const pos = means('positive'), neg = means('negative');
  const overlap = neg.filter((m) => m > Math.min(...pos)).length / neg.length;
  assert.ok(overlap > 0.2, `only ${(100 * overlap).toFixed(0)}% of negatives are brighter than the dimmest positive`);
  assert.ok(neg.reduce((a, b) => a + b, 0) / neg.length < pos.reduce((a, b) => a + b, 0) / pos.length, 'negatives are dimmer on average');
});

test('bad input: too small n, an unrelated non-empty folder; regenerating in place replaces an earlier set', async () => {
  await assert.rejects(generateSynthetic({ out: dirFor('tiny'), kind: 'patterns', n: 20 }),
    (e: Error) => e instanceof DataError && /n = 20: kind 'patterns' needs an integer n >= 28/.test(e.message));
  await assert.rejects(generateSynthetic({ out: dirFor('frac'), kind: 'patterns', n: 60, anomalyFraction: 2 }), /anomaly fraction 2 must be within 0\.\.1/);
  const foreign = dirFor('foreign');
  fs.mkdirSync(foreign);
  fs.writeFileSync(path.join(foreign, 'notes.txt'), 'mine');
  await assert.rejects(generateSynthetic({ out: foreign, kind: 'patterns', n: 60 }), /not empty and holds no synth\.csv/);
  assert.equal(fs.readFileSync(path.join(foreign, 'notes.txt'), 'utf8'), 'mine', 'nothing of the user was touched');
  const again = dirFor('again');
  await generateSynthetic({ out: again, kind: 'patterns', n: 80, seed: 1 });
  await generateSynthetic({ out: again, kind: 'patterns', n: 40, seed: 1 });
  const pngs = [...hashTree(again).keys()].filter((f) => f.endsWith('.png'));
  assert.equal(pngs.length, 80, 'no stale images of the larger set remain');
});

test('progress is reported once per cell, ending at the total', async () => {
  const seen: [number, number][] = [];
  await generateSynthetic({ out: dirFor('progress'), kind: 'intensity', n: 12, seed: 1, onProgress: (d, t) => seen.push([d, t]) });
  assert.deepEqual(seen, Array.from({ length: 12 }, (_, i) => [i + 1, 12]));
});
