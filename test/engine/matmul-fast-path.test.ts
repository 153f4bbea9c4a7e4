// BatchMatMul on wasm through cellab's fast path (transposed operands made
// explicit, a batch of left operands folded into rows) equals the cpu
// backend's product for every transpose and batch combination, and a dense
// layer's training gradients (x^T dy, dy W^T) agree with cpu's.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { matMulFastPathInstalled } from '../../src/engine/matmul-fast-path';

before(async () => { await initEngine({ backend: 'wasm', log: null }); });

async function onBoth<T extends tf.Tensor>(f: () => T): Promise<{ wasm: Float32Array; cpu: Float32Array; shape: number[][] }> {
  const out: Record<string, { v: Float32Array; s: number[] }> = {};
  for (const b of ['wasm', 'cpu']) {
    await tf.setBackend(b);
    const t = f();
    out[b] = { v: (await t.data()) as Float32Array, s: t.shape };
    t.dispose();
  }
  await tf.setBackend('wasm');
  return { wasm: out.wasm.v, cpu: out.cpu.v, shape: [out.wasm.s, out.cpu.s] };
}

const maxRel = (a: Float32Array, b: Float32Array) => {
  let m = 0, scale = 1e-6;
  for (let i = 0; i < a.length; i++) { m = Math.max(m, Math.abs(a[i] - b[i])); scale = Math.max(scale, Math.abs(b[i])); }
  return m / scale;
};

const cases: { name: string; a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
  { name: 'a b^T', a: [7, 5], b: [9, 5], ta: false, tb: true },
  { name: 'a^T b', a: [5, 7], b: [5, 9], ta: true, tb: false },
  { name: 'a^T b^T', a: [5, 7], b: [9, 5], ta: true, tb: true },
  { name: 'batched a, shared b', a: [2, 3, 7, 5], b: [5, 9], ta: false, tb: false },
  { name: 'batched a, shared b^T', a: [3, 7, 5], b: [1, 9, 5], ta: false, tb: true },
  { name: 'batched a^T (original kernel)', a: [3, 5, 7], b: [5, 9], ta: true, tb: false },
  { name: 'batched both (original kernel)', a: [3, 7, 5], b: [3, 5, 9], ta: false, tb: false },
];

for (const c of cases) {
  test(`matMul ${c.name} ${JSON.stringify(c.a)} x ${JSON.stringify(c.b)} on wasm equals cpu`, async () => {
    const r = await onBoth(() => tf.tidy(() => tf.matMul(
      tf.randomNormal(c.a, 0, 1, 'float32', 1) as tf.Tensor, tf.randomNormal(c.b, 0, 1, 'float32', 2) as tf.Tensor, c.ta, c.tb)));
    assert.deepEqual(r.shape[0], r.shape[1]);
    assert.ok(maxRel(r.wasm, r.cpu) < 1e-5, `relative difference ${maxRel(r.wasm, r.cpu)}`);
  });
}

test('a dense layer on a 4-D input: both gradients on wasm equal cpu (ConvNeXt pointwise MLP shape)', async () => {
  for (const which of [0, 1]) {
    const r = await onBoth(() => tf.tidy(() => {
      const x = tf.randomNormal([2, 6, 6, 8], 0, 1, 'float32', 3);
      const w = tf.randomNormal([8, 12], 0, 1, 'float32', 4);
      const probe = tf.randomNormal([2, 6, 6, 12], 0, 1, 'float32', 5);
      const f = (xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.mul(tf.matMul(xx.reshape([-1, 8]) as tf.Tensor2D, ww as tf.Tensor2D).reshape([2, 6, 6, 12]), probe));
      return tf.grads(f)([x, w])[which];
    }));
    assert.ok(maxRel(r.wasm, r.cpu) < 1e-5, `${which ? 'dW' : 'dx'}: relative difference ${maxRel(r.wasm, r.cpu)}`);
  }
});

test('the fast path is installed on wasm and a wrong inner size still reports tfjs\' shape error', () => {
  assert.ok(matMulFastPathInstalled(), 'initEngine wraps BatchMatMul');
  assert.throws(() => tf.tidy(() => tf.matMul(tf.zeros([3, 4]) as tf.Tensor2D, tf.zeros([5, 4]) as tf.Tensor2D, true, false)), /inner shapes/);
});
