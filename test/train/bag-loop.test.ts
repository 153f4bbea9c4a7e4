// The bag training loop on toy bags with a known answer: attention finds the
// key instance, the metadata expert reads the metadata, and the mixture of
// experts beats both when each expert can only decide half the bags.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../../src/engine/backend';
import { Random } from '../../src/engine/random';
import { validate } from '../../src/engine/schema';
import { MilModel, type MilOptions } from '../../src/models/mil';
import { fitBags, predictBags, balancedAccuracy } from '../../src/train/bag-loop';
import type { BagSet } from '../../src/train/bags';
import { trainSchema, type TrainConfig } from '../../src/train/schema';

before(async () => { await initEngine({ backend: 'wasm', log: null }); });

const D = 6;

/**
 * Bags of 3-12 instances. Half the bags ("image" bags, meta[1] = 1) are positive when one
 * instance is a key (feature 0 near 3); the others (meta[1] = -1) are positive when meta[0] > 0,
 * with no key instance either way. aux = number of key instances.
 */
function toyBags(n: number, seed: number, o: { onlyImages?: boolean } = {}): BagSet {
  const r = new Random(seed);
  const ids: string[] = [], labels: number[] = [], offsets = [0], feats: number[] = [], meta: number[] = [], aux: number[] = [], inst: string[] = [];
  for (let b = 0; b < n; b++) {
    const imageBag = o.onlyImages || b % 2 === 0;
    const y = r.bool(0.5) ? 1 : 0;
    const size = 3 + r.int(10);
    const keys = imageBag && y ? 1 + r.int(2) : 0;
    for (let i = 0; i < size; i++) {
      const key = i < keys;
      feats.push(key ? r.normal(3, 0.3) : r.normal(0, 0.6), ...Array.from({ length: D - 1 }, () => r.normal(0, 1)));
      inst.push(`b${b}/${i}`);
    }
    ids.push(`b${b}`);
    labels.push(y);
    offsets.push(offsets[offsets.length - 1] + size);
    meta.push(imageBag ? r.normal(0, 1) : (y ? 1 : -1) * (0.3 + r.next()), imageBag ? 1 : -1);
    aux.push(keys - 0.5);
  }
  return { ids, labels: Int32Array.from(labels), offsets: Int32Array.from(offsets), features: Float32Array.from(feats), dim: D, instanceIds: inst,
    meta: Float32Array.from(meta), metaDim: 2, aux: Float32Array.from(aux) };
}

function config(over: Record<string, unknown> = {}): TrainConfig {
  const problems: string[] = [];
  const cfg = validate(trainSchema, { epochs: 30, lr: 0.01, batchSize: 16, loss: 'bce', ...over }, 'train', problems) as TrainConfig;
  assert.deepEqual(problems, []);
  return cfg;
}

const model = (o: Partial<MilOptions> = {}) => new MilModel({ featureDim: D, metaDim: 2, experts: 'image', aggregation: 'attention', hidden: 8,
  attentionDim: 8, metadataHidden: 8, dropout: 0, auxiliary: false, seed: 0, ...o });

const train = toyBags(120, 1), val = toyBags(60, 2), test2 = toyBags(100, 3);
const imgTrain = toyBags(80, 4, { onlyImages: true }), imgVal = toyBags(50, 5, { onlyImages: true });

test('attention finds the key instance: an image-only task is learned, the rows carry balanced accuracy, the best epoch is restored', async () => {
  const m = model();
  const r = await fitBags(m, imgTrain, imgVal, config());
  assert.equal(r.outcome, 'completed');
  for (const row of r.history) for (const k of ['train/loss', 'train/accuracy', 'train/balanced_accuracy', 'val/loss', 'val/accuracy', 'val/balanced_accuracy', 'lr']) assert.equal(typeof row[k], 'number', k);
  const best = r.history.find((h) => h.epoch === r.bestEpoch)!;
  const p = await predictBags(m, imgVal);
  assert.equal(balancedAccuracy(imgVal.labels, p.scores), best['val/balanced_accuracy']);
  assert.ok(best['val/balanced_accuracy'] >= 0.9, `val balanced accuracy ${best['val/balanced_accuracy']}`);
  // Attention on a positive bag goes to its key instance(s).
  const b = Array.from(imgVal.labels).findIndex((y) => y === 1);
  const w = p.weights!.subarray(imgVal.offsets[b], imgVal.offsets[b + 1]);
  assert.ok(w[0] === Math.max(...w) || w[1] === Math.max(...w), `attention ${Array.from(w).map((x) => x.toFixed(2))}`);
  m.dispose();
});

test('bags of any size: a bag scores the same alone as in a padded batch; same seed, same run', async () => {
  const m = model({ seed: 5 });
  const one = await predictBags(m, imgVal, 1), all = await predictBags(m, imgVal, 64);
  for (let i = 0; i < one.scores.length; i++) assert.ok(Math.abs(one.scores[i] - all.scores[i]) < 1e-5);
  m.dispose();
  const runs = await Promise.all([0, 1].map(async () => {
    const x = model({ seed: 9, dropout: 0.2 });
    const r = await fitBags(x, imgTrain, imgVal, config({ epochs: 3, seed: 4 }));
    x.dispose();
    return r.history.map(({ bags_per_second: _, ...row }) => row);
  }));
  assert.deepEqual(runs[0], runs[1]);
});

test('the mixture of experts beats both experts when each can decide only half the bags; the gate learns which', async () => {
  const ba = async (experts: MilOptions['experts']) => {
    const m = model({ experts, seed: 1 });
    await fitBags(m, train, val, config({ epochs: 25 }));
    const p = await predictBags(m, test2);
    m.dispose();
    return { ba: balancedAccuracy(test2.labels, p.scores), pi: p.pi };
  };
  const image = await ba('image'), metadata = await ba('metadata'), moe = await ba('moe');
  assert.ok(moe.ba > Math.max(image.ba, metadata.ba) + 0.1, `moe ${moe.ba.toFixed(3)} vs image ${image.ba.toFixed(3)}, metadata ${metadata.ba.toFixed(3)}`);
  const mean = (f: (b: number) => boolean) => { const xs = test2.ids.map((_, b) => b).filter(f).map((b) => moe.pi![b]); return xs.reduce((s, v) => s + v, 0) / xs.length; };
  const imageBags = mean((b) => test2.meta[b * 2 + 1] > 0), metaBags = mean((b) => test2.meta[b * 2 + 1] < 0);
  assert.ok(imageBags > metaBags + 0.2, `mean pi on image-decidable bags ${imageBags.toFixed(2)}, on metadata-decidable ${metaBags.toFixed(2)}`);
});

test('class weights reach the loss; the auxiliary head learns its target; monitors include balanced accuracy', async () => {
  const m = model({ experts: 'metadata', featureDim: 0 });
  await fitBags(m, train, val, config({ epochs: 5 }), {}, { classWeights: [1, 0] });
  assert.ok(Array.from((await predictBags(m, val)).scores).every((s) => s < 0.5), 'with weight 0 on positives the model says negative');
  m.dispose();
  const a = model({ auxiliary: true });
  const r = await fitBags(a, imgTrain, imgVal, config({ epochs: 15 }), {}, { auxWeight: 1 });
  const nmse = r.history.map((h) => h['val/aux_nmse']);
  assert.ok(nmse.every(Number.isFinite) && nmse[nmse.length - 1] < 0.5 * nmse[0], `val/aux_nmse ${nmse[0]} -> ${nmse[nmse.length - 1]}`);
  a.dispose();
  const e = model();
  const es = await fitBags(e, imgTrain, imgVal, config({ epochs: 30, earlyStopping: { monitor: 'val/balanced_accuracy', patience: 2 } }));
  assert.ok(es.stoppedEpoch !== undefined && es.stoppedEpoch < 30);
  await assert.rejects(fitBags(e, imgTrain, imgVal, config({ earlyStopping: { monitor: 'val/auc' } })), /metric `val\/auc` is not available\. Available: .*val\/balanced_accuracy/);
  e.dispose();
});
