// The synthetic protein localisation set: HPA 2021 layout, deterministic per seed,
// multi-label with imbalance and co-occurrence, plates, planted anomalies, and
// localisations that differ where the protein sits relative to the nucleus.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateProteinSynthetic, LOCALISATIONS, HPA_ID } from '../../src/data/synth/index';
import { decodeFile } from '../../src/data/decode/index';
import { loadDataset } from '../../src/data/load';
import { config } from './helpers';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-protein-'));
after(() => fs.rmSync(TMP, { recursive: true, force: true }));

const hashes = (root: string) => new Map(fs.readdirSync(path.join(root, 'train')).sort().map((f) => [f, createHash('sha1').update(fs.readFileSync(path.join(root, 'train', f))).digest('hex')]));
const rows = (file: string) => { const [h, ...ls] = fs.readFileSync(file, 'utf8').trim().split('\n'); return ls.map((l) => Object.fromEntries(l.split(',').map((v, i) => [h.split(',')[i], v]))); };

let shared: Promise<string> | undefined;
const set120 = () => (shared ??= generateProteinSynthetic({ out: path.join(TMP, 'p120'), n: 120, seed: 5, size: 96, anomalyFraction: 0.05 }).then((s) => s.out));

test('the same seed gives byte-identical files; another seed others', async () => {
  for (const [name, seed] of [['a', 3], ['b', 3], ['c', 4]] as const) await generateProteinSynthetic({ out: path.join(TMP, name), n: 14, seed, size: 64 });
  const [a, b, c] = ['a', 'b', 'c'].map((n) => hashes(path.join(TMP, n)));
  assert.equal(a.size, 14 * 5);
  assert.deepEqual([...b], [...a]);
  assert.deepEqual(fs.readFileSync(path.join(TMP, 'b', 'README.md'), 'utf8'), fs.readFileSync(path.join(TMP, 'a', 'README.md'), 'utf8'));
  assert.ok([...c.values()].filter((h) => ![...a.values()].includes(h)).length >= 60, 'another seed, other images');
});

test('HPA 2021 layout: train.csv ID,Label (label ids joined by |), four stain files per ID, a class map, a README', async () => {
  const root = await set120();
  assert.equal(fs.readFileSync(path.join(root, 'train.csv'), 'utf8').split('\n')[0], 'ID,Label,Plate');
  const train = rows(path.join(root, 'train.csv'));
  assert.equal(train.length, 120);
  for (const r of train) {
    assert.match(r.ID, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.match(r.Label, /^\d+(\|\d+){0,2}$/);
    for (const s of ['red', 'green', 'blue', 'yellow', 'cells']) assert.ok(fs.existsSync(path.join(root, 'train', `${r.ID}_${s}.png`)), `${r.ID}_${s}.png`);
  }
  assert.deepEqual(rows(path.join(root, 'label_names.csv')).map((r) => r.name).sort(), [...LOCALISATIONS].sort());
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  assert.match(readme, /cellab synth --out DIR --kind protein --n 120 --seed 5 --anomalies 0\.05 --size 96/);
  // What the loader makes of it: 4 stains per item, label sets named by the class map.
  const ds = loadDataset(config({ format: 'csv', manifest: path.join(root, 'train.csv'), root, columns: { id: 'ID', label: 'Label', group: 'Plate' },
    multiLabel: 'multi', classMap: path.join(root, 'label_names.csv'),
    channelFiles: { green: 'train/{id}_green.png', red: 'train/{id}_red.png', blue: 'train/{id}_blue.png', yellow: 'train/{id}_yellow.png' },
    image: { channels: ['green', 'red', 'blue', 'yellow'] } }));
  assert.equal(ds.items.length, 120);
  const truth = rows(path.join(root, 'synth.csv'));
  ds.items.forEach((it, i) => assert.deepEqual(it.labels, truth[i].labels.split('|'), it.id));
  assert.equal(HPA_ID.Cytosol, 16);
});

test('labels: 1-3 per image, imbalanced, co-occurring; plates of 6-18 images; planted anomalies', async () => {
  const truth = rows(path.join(await set120(), 'synth.csv'));
  const sets = truth.map((r) => r.labels.split('|'));
  assert.ok(sets.every((s) => s.length >= 1 && s.length <= 3));
  assert.ok(sets.some((s) => s.length === 3) && sets.filter((s) => s.length === 1).length > 40);
  const freq = new Map(LOCALISATIONS.map((l) => [l, sets.filter((s) => s.includes(l)).length]));
  assert.ok([...freq.values()].every((f) => f >= 2), `every localisation appears: ${JSON.stringify([...freq])}`);
  assert.ok(freq.get('Nucleoplasm')! >= 4 * Math.min(...freq.values()), 'imbalance: the common label is 4x the rarest');
  // Co-occurrence: Nucleoplasm's most frequent partner is Cytosol, far ahead of the next.
  const partners = new Map<string, number>();
  for (const s of sets) if (s.includes('Nucleoplasm')) for (const l of s) if (l !== 'Nucleoplasm') partners.set(l, (partners.get(l) ?? 0) + 1);
  const ranked = [...partners].sort((a, b) => b[1] - a[1]);
  assert.equal(ranked[0][0], 'Cytosol', `partners of Nucleoplasm: ${JSON.stringify(ranked)}`);
  assert.ok(ranked[0][1] >= 2 * ranked[1][1], `partners of Nucleoplasm: ${JSON.stringify(ranked)}`);
  const plates = new Map<string, number>();
  for (const r of truth) plates.set(r.plate, (plates.get(r.plate) ?? 0) + 1);
  assert.ok([...plates.values()].slice(0, -1).every((k) => k >= 6 && k <= 18), `plate sizes ${[...plates.values()]}`);
  assert.equal(truth.filter((r) => r.anomaly).length, 6);
  assert.deepEqual([...new Set(truth.filter((r) => r.anomaly).map((r) => r.anomaly))].sort(), ['defocused', 'near_black', 'no_signal', 'saturated']);
});

test('localisations differ where the green signal sits: nucleus, cytoplasm, cell rim, puncta', async () => {
  const root = await set120();
  const truth = rows(path.join(root, 'synth.csv')).filter((r) => !r.anomaly && !r.labels.includes('|'));
  const stat = new Map<string, { nuclear: number[]; rim: number[]; peak: number[] }>();
  for (const r of truth) {
    const [green, blue, cells] = await Promise.all(['green', 'blue', 'cells'].map((s) => decodeFile(path.join(root, 'train', `${r.id}_${s}.png`))));
    let inCell = 0, inNucleus = 0, rim = 0, nCell = 0;
    const vals: number[] = [];
    const w = green.width;
    for (let i = 0; i < green.data.length; i++) {
      if (!cells.data[i]) continue;
      const g = Math.max(0, green.data[i] - 12);
      inCell += g; nCell++; vals.push(green.data[i]);
      if (blue.data[i] > 60) inNucleus += g;
      // Rim: a cell pixel next to background.
      const x = i % w, y = Math.floor(i / w);
      if ([[1, 0], [-1, 0], [0, 1], [0, -1]].some(([dx, dy]) => !cells.data[(y + dy) * w + x + dx])) rim += g;
    }
    vals.sort((a, b) => a - b);
    const s = stat.get(r.labels) ?? { nuclear: [], rim: [], peak: [] };
    s.nuclear.push(inNucleus / inCell); s.rim.push(rim / inCell);
    s.peak.push(vals[Math.floor(vals.length * 0.99)] / (vals[Math.floor(vals.length * 0.5)] + 1));
    stat.set(r.labels, s);
  }
  const mean = (l: string, k: 'nuclear' | 'rim' | 'peak') => { const xs = stat.get(l)?.[k] ?? []; assert.ok(xs.length, `no single-label ${l} image`); return xs.reduce((a, b) => a + b, 0) / xs.length; };
  assert.ok(mean('Nucleoplasm', 'nuclear') > 0.6, `Nucleoplasm: ${mean('Nucleoplasm', 'nuclear')} of the signal in the nucleus`);
  assert.ok(mean('Cytosol', 'nuclear') < 0.3, `Cytosol: ${mean('Cytosol', 'nuclear')} in the nucleus`);
  assert.ok(mean('Nucleoli', 'nuclear') > 0.6);
  assert.ok(mean('Plasma membrane', 'rim') > 2 * mean('Cytosol', 'rim'), 'plasma membrane signal sits at the cell rim');
  assert.ok(mean('Mitochondria', 'peak') > 1.5 * mean('Cytosol', 'peak'), 'mitochondria are puncta: bright peaks over a dim median');
});
