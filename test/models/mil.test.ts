// Multiple-instance pooling (every registered aggregation) and the mixture
// of experts, as a user relies on them: padding never changes a bag's
// result, order does not matter, weights are a distribution over the bag's
// images, gated attention is Ilse et al.'s formula, y = pi*y_img + (1-pi)*y_meta.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { createAggregator, listAggregations, registerAggregation } from '../../src/models/aggregation';
import { MilModel, type MilOptions } from '../../src/models/mil';
import { Random } from '../../src/engine/random';

before(async () => { await initEngine({ backend: 'wasm', log: null }); });

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5, what = '') => {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

/** A bag of 3 instances (H = 4) and one of 2, padded to N = 4. */
function bags(): { h: number[][][]; mask: number[][] } {
  const r = new Random(7);
  const row = () => Array.from({ length: 4 }, () => r.normal());
  return { h: [[row(), row(), row(), [0, 0, 0, 0]], [row(), row(), [9, 9, 9, 9], [-9, 9, -9, 9]]], mask: [[1, 1, 1, 0], [1, 1, 0, 0]] };
}

test('the built-in aggregations are registered; an unknown name says which exist', () => {
  assert.deepEqual(listAggregations().map((a) => a.name).sort(), ['attention', 'max', 'mean']);
  assert.throws(() => createAggregator('atention', { dim: 4, attentionDim: 2, seed: 0, name: 't' }), /'atention' is not registered\. Did you mean `attention`\?.*Available: mean, max, attention/);
  assert.throws(() => registerAggregation('mean', () => { throw new Error('x'); }, ''), /already registered/);
});

for (const { name } of listAggregations()) {
  test(`aggregation ${name}: padding never counts, order does not matter, weights are a distribution over the bag`, () => {
    const agg = createAggregator(name, { dim: 4, attentionDim: 3, seed: 1, name: `contract-${name}` });
    const { h, mask } = bags();
    const out = tf.tidy(() => {
      const r = agg.apply(tf.tensor3d(h), tf.tensor2d(mask));
      return { z: r.z.arraySync(), w: r.weights.arraySync() };
    });
    assert.deepEqual([out.z.length, out.z[0].length], [2, 4]);
    out.w.forEach((w, b) => {
      close([w.reduce((s, v) => s + v, 0)], [1], 1e-5, `${name} bag ${b} weights sum`);
      w.forEach((v, i) => { if (!mask[b][i]) assert.equal(v, 0, `${name}: padding has weight`); else assert.ok(v >= 0); });
    });
    // The second bag alone, unpadded, in reverse order: the same embedding, its weights reversed.
    const alone = tf.tidy(() => {
      const r = agg.apply(tf.tensor3d([[h[1][1], h[1][0]]]), tf.tensor2d([[1, 1]]));
      return { z: r.z.arraySync()[0], w: r.weights.arraySync()[0] };
    });
    close(alone.z, out.z[1], 1e-5, `${name} z`);
    close(alone.w, [out.w[1][1], out.w[1][0]], 1e-5, `${name} weights`);
    tf.dispose(agg.variables);
  });
}

test('gated attention is softmax_i(w^T (tanh(V h_i) * sigmoid(U h_i))) over the bag, z = sum_i a_i h_i', () => {
  const agg = createAggregator('attention', { dim: 4, attentionDim: 3, seed: 2, name: 'formula' });
  const [V, bV, U, bU, w] = agg.variables.map((v) => v.arraySync() as number[][] | number[]);
  const { h, mask } = bags();
  const got = tf.tidy(() => { const r = agg.apply(tf.tensor3d(h), tf.tensor2d(mask)); return { z: r.z.arraySync(), a: r.weights.arraySync() }; });
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  h.forEach((inst, b) => {
    const n = mask[b].filter(Boolean).length;
    const s = inst.slice(0, n).map((x) => {
      let score = 0;
      for (let k = 0; k < 3; k++) {
        let v = (bV as number[])[k], u = (bU as number[])[k];
        for (let j = 0; j < 4; j++) { v += x[j] * (V as number[][])[j][k]; u += x[j] * (U as number[][])[j][k]; }
        score += Math.tanh(v) * sig(u) * (w as number[][])[k][0];
      }
      return score;
    });
    const m = Math.max(...s), e = s.map((v) => Math.exp(v - m)), sum = e.reduce((x, y) => x + y, 0);
    const a = e.map((v) => v / sum);
    close(got.a[b].slice(0, n), a, 1e-5, `bag ${b} attention`);
    close(got.z[b], [0, 1, 2, 3].map((j) => a.reduce((acc, ai, i) => acc + ai * inst[i][j], 0)), 1e-5, `bag ${b} z`);
  });
  tf.dispose(agg.variables);
});

const opts = (o: Partial<MilOptions> = {}): MilOptions => ({ featureDim: 4, metaDim: 2, experts: 'moe', aggregation: 'attention', hidden: 5, attentionDim: 3,
  metadataHidden: 3, dropout: 0, auxiliary: true, seed: 0, ...o });

test('mixture of experts: y = pi * y_image + (1 - pi) * y_metadata per bag; single experts output their own score', () => {
  const { h, mask } = bags();
  const meta = [[0.5, -1], [2, 0.3]];
  const m = new MilModel(opts());
  const r = tf.tidy(() => {
    const o = m.apply({ x: tf.tensor3d(h), mask: tf.tensor2d(mask), meta: tf.tensor2d(meta) });
    return { y: o.y.arraySync(), yi: o.yImage!.arraySync(), ym: o.yMeta!.arraySync(), pi: o.pi!.arraySync(), aux: o.aux!.arraySync(), w: o.weights!.arraySync() };
  });
  r.y.forEach((y, b) => close([y], [r.pi[b] * r.yi[b] + (1 - r.pi[b]) * r.ym[b]], 1e-6, 'mixture'));
  assert.ok(r.pi.every((p) => p > 0 && p < 1));
  assert.equal(r.aux.length, 2);
  m.dispose();
  const img = new MilModel(opts({ experts: 'image', metaDim: 0 }));
  const yi = tf.tidy(() => { const o = img.apply({ x: tf.tensor3d(h), mask: tf.tensor2d(mask) }); assert.equal(o.pi, undefined); return [o.y.arraySync(), o.yImage!.arraySync()]; });
  assert.deepEqual(yi[0], yi[1]);
  img.dispose();
  const md = new MilModel(opts({ experts: 'metadata', featureDim: 0, auxiliary: false }));
  tf.tidy(() => { const o = md.apply({ meta: tf.tensor2d(meta) }); assert.equal(o.yImage, undefined); assert.deepEqual(o.y.arraySync(), o.yMeta!.arraySync()); });
  md.dispose();
  assert.throws(() => new MilModel(opts({ metaDim: 0 })), /mixture of experts needs clinical columns: set dataset\.metadata/);
});

test('same seed, same weights; setWeights restores a snapshot; serialize() holds every weight by name', async () => {
  const a = new MilModel(opts({ seed: 3 })), b = new MilModel(opts({ seed: 3 })), c = new MilModel(opts({ seed: 4 }));
  const values = (m: MilModel) => m.variables.map((v) => Array.from(v.dataSync()));
  assert.deepEqual(values(a), values(b));
  assert.notDeepEqual(values(a), values(c));
  const snap = a.getWeights();
  a.variables.forEach((v) => v.assign(tf.zerosLike(v)));
  a.setWeights(snap);
  assert.deepEqual(values(a), values(b));
  const json = await a.serialize();
  assert.ok(['project_W', 'image_head_W', 'meta_hidden_W', 'gate_W', 'summary_W', 'aux_head_W', 'attention_V'].every((k) => k in json.weights), Object.keys(json.weights).join(', '));
  tf.dispose(snap);
  [a, b, c].forEach((m) => m.dispose());
});
