import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filterByMeanIntensity, ANOMALY_COLUMNS } from '../../src/data/anomaly';
import { loadDataset } from '../../src/data/load';
import { measureMeanIntensity } from '../../src/data/intensity';
import { splitDataset } from '../../src/data/split';
import type { DatasetItem } from '../../src/data/types';
import { config, synthSet, synthTruth } from './helpers';

const it = (id: string, label: string, group?: string): DatasetItem => ({ id, path: `/d/${id}.png`, label, extra: {}, ...(group ? { group } : {}) });

test('class rule: an item more than k std from its class mean is dropped with the reason and the class statistics', () => {
  const items: DatasetItem[] = [];
  const means = new Map<string, number>();
  for (let i = 0; i < 20; i++) { items.push(it(`a${i}`, 'a')); means.set(`a${i}`, 0.3 + (i % 2 ? 0.01 : -0.01)); }
  items.push(it('bright', 'a')); means.set('bright', 0.9);
  items.push(it('b1', 'b'), it('b2', 'b')); means.set('b1', 0.1); means.set('b2', 0.8);
  const r = filterByMeanIntensity(items, { std: 3, means });
  assert.deepEqual(r.dropped.map((d) => d.id), ['bright']);
  const d = r.dropped[0];
  assert.ok(Math.abs(d.classMean - (20 * 0.3 + 0.9) / 21) < 1e-12);
  assert.ok(d.z > 3 && d.z < 5, `z ${d.z}`);
  assert.match(d.reason, /mean intensity 0.900 is 4.\d+ std above the class mean 0.329 \(std 0.12\d; limit 3\)/);
  assert.equal(r.kept.length, 22, 'a class of 2 (b) has no meaningful spread and is kept whole');
  assert.equal(filterByMeanIntensity(items, { std: 5, means }).dropped.length, 0, 'k = 5 keeps it');
  assert.throws(() => filterByMeanIntensity([...items, it('new', 'a')], { means }), /no mean intensity for 1 item\(s\) \(e.g. new\)/);
});

test('specimen rule: an item far from its own specimen is dropped even when the class spans dim and bright specimens', () => {
  const items: DatasetItem[] = [];
  const means: Record<string, number> = {};
  // Three specimens of one class at very different exposures, each cell within ~5% of its specimen.
  [0.05, 0.2, 0.6].forEach((level, s) => {
    for (let i = 0; i < 12; i++) { const id = `s${s}c${i}`; items.push(it(id, 'a', `S${s}`)); means[id] = level * (1 + ((i % 5) - 2) * 0.02); }
  });
  items.push(it('dark', 'a', 'S2')); means.dark = 0.2; // a third of its bright specimen, still mid-range for the class
  const byClass = filterByMeanIntensity(items, { means, method: 'class' });
  assert.equal(byClass.dropped.length, 0, 'the class-wide rule cannot see it');
  const bySpecimen = filterByMeanIntensity(items, { means, method: 'specimen' });
  assert.deepEqual(bySpecimen.dropped.map((d) => d.id), ['dark']);
  assert.match(bySpecimen.dropped[0].reason, /0.3\d\dx its specimen's median 0.59\d/, 'against the median of the other cells of its specimen');
  assert.equal(bySpecimen.dropped[0].group, 'S2');
});

test('dropped items as a danfojs table and as CSV (the run artifact)', () => {
  const items = Array.from({ length: 10 }, (_, i) => it(String(i), 'a'));
  const means = new Map(items.map((x, i) => [x.id, i === 9 ? 10 : 1 + (i % 2) * 0.01]));
  const r = filterByMeanIntensity(items, { means, std: 2 });
  const csv = r.toCsv().trim().split('\n');
  assert.equal(csv[0], ANOMALY_COLUMNS.join(','));
  assert.equal(csv.length, 2);
  assert.match(csv[1], /^9,\/d\/9\.png,a,,10,/);
  const df = r.table();
  assert.deepEqual(df.shape, [1, ANOMALY_COLUMNS.length]);
  assert.deepEqual(df.columns, ANOMALY_COLUMNS);
  assert.equal(filterByMeanIntensity(items, { means, std: 50 }).table().shape[0], 0, 'an empty table keeps its columns');
});

/** Share of planted intensity anomalies and of clean items that each rule drops on a training split. */
async function plantedRecall(kind: 'patterns' | 'intensity', seed: number) {
  const root = await synthSet(kind, 300, seed, 0.05);
  const cfg = kind === 'patterns'
    ? config({ format: 'icpr2012', root, image: { mask: true } })
    : config({ format: 'csv', manifest: `${root}/labels.csv`, root: `${root}/images`, columns: { label: 'intensity', group: 'specimen' }, image: { mask: true },
      split: { kind: 'stratified-group-kfold', folds: 5 } });
  const ds = loadDataset(cfg);
  const train = splitDataset(ds.items, cfg.split, 0).train;
  const means = await measureMeanIntensity(train, cfg.image, { cache: cfg.cache });
  const truth = new Map(synthTruth(root).map((r) => [kind === 'patterns' ? r.id : r.path.replace(/^images\/|\.png$/g, ''), r.anomaly]));
  const count = (f: (a: string) => boolean) => train.filter((x) => f(truth.get(x.id)!));
  const intensity = count((a) => a === 'saturated' || a === 'near_black');
  const defocused = count((a) => a === 'defocused');
  const clean = count((a) => a === '');
  const rule = (method: 'class' | 'specimen') => {
    const dropped = new Set(filterByMeanIntensity(train, { std: 3, method, means }).dropped.map((d) => d.id));
    return {
      caught: intensity.filter((x) => dropped.has(x.id)).length / intensity.length,
      defocusedCaught: `${defocused.filter((x) => dropped.has(x.id)).length}/${defocused.length}`,
      cleanDropped: clean.filter((x) => dropped.has(x.id)).length / clean.length,
    };
  };
  return { planted: intensity.length, defocused: defocused.length, specimen: rule('specimen'), study: rule('class') };
}

test('planted anomalies in the synthetic sets: the 3-sigma specimen rule drops >= 80% of all planted anomalies (saturated, near-black, defocused) and < 2% of clean items', async (t) => {
  let planted = 0, caught = 0;
  for (const [kind, seed] of [['patterns', 2], ['patterns', 3], ['intensity', 1]] as const) {
    const { planted: p, specimen: r, study, defocused } = await plantedRecall(kind, seed);
    t.diagnostic(`${kind} seed ${seed}: specimen rule caught ${(100 * r.caught).toFixed(0)}% of ${p} saturated/near-black, ` +
      `defocused ${r.defocusedCaught}, clean dropped ${(100 * r.cleanDropped).toFixed(1)}%; class rule caught ${(100 * study.caught).toFixed(0)}%, ` +
      `defocused ${study.defocusedCaught}, clean ${(100 * study.cleanDropped).toFixed(1)}%`);
    planted += p + defocused;
    caught += Math.round(r.caught * p) + Number(r.defocusedCaught.split('/')[0]);
    assert.ok(r.cleanDropped < 0.02, `${kind} seed ${seed}: clean dropped ${r.cleanDropped}`);
    assert.ok(study.cleanDropped < 0.02, `${kind} seed ${seed}: the class rule keeps clean items (${study.cleanDropped})`);
  }
  t.diagnostic(`all sets: ${caught}/${planted} planted anomalies dropped`);
  assert.ok(planted >= 10, `enough planted anomalies in the training splits (${planted})`);
  assert.ok(caught / planted >= 0.8, `dropped ${caught} of ${planted} planted anomalies`);
});
