// Batch normalisation's apply step on wasm in cellab's SIMD kernel
// (engine/batch-norm-apply.ts): tfjs-backend-wasm's FusedBatchNorm it
// replaces to float rounding (the same math, with scale / sqrt(variance + eps)
// taken once per channel where tfjs divides every element by the root), with
// and without scale and offset, for channel
// counts with and without a remainder past the last 4-float vector, and
// statistics of other shapes left to tfjs' kernel.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { batchNormApplyOverride } from '../../src/engine/batch-norm-apply';
import { originalKernel } from './fixtures/original-kernel';

before(async () => { await initEngine({ backend: 'wasm', threads: 1, log: null }); });

const tfjsBatchNorm = (inputs: Record<string, tf.Tensor>, eps: number) => originalKernel(batchNormApplyOverride, inputs, { varianceEpsilon: eps });

test('FusedBatchNorm gives tfjs\' values to float rounding, with and without scale and offset, any channel count', () => {
  const before = batchNormApplyOverride.calls();
  let n = 0;
  for (const shape of [[2, 5, 5, 16], [3, 7, 7, 6], [40, 3], [1, 1, 1, 128]]) {
    const c = shape[shape.length - 1];
    for (const withAffine of [true, false]) {
      tf.tidy(() => {
        const x = tf.randomNormal(shape, 1, 3, 'float32', shape.length + c);
        const mean = tf.randomNormal([c], 0, 1, 'float32', 1), variance = tf.randomUniform([c], 0.01, 4, 'float32', 2);
        const scale = withAffine ? tf.randomNormal([c], 1, 0.5, 'float32', 3) : undefined;
        const offset = withAffine ? tf.randomNormal([c], 0, 0.5, 'float32', 4) : undefined;
        const got = tf.batchNorm(x, mean, variance, offset as tf.Tensor1D | undefined, scale as tf.Tensor1D | undefined, 1e-3);
        const inputs: Record<string, tf.Tensor> = { x, mean, variance };
        if (scale) inputs.scale = scale;
        if (offset) inputs.offset = offset;
        const want = tfjsBatchNorm(inputs, 1e-3);
        const a = got.dataSync(), b = want.dataSync();
        let worst = 0;
        for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
        assert.ok(worst <= 1e-6, `${shape.join('x')}${withAffine ? '' : ' (no scale/offset)'}: differs from tfjs by up to ${worst} (relative)`);
        n++;
      });
    }
  }
  assert.equal(batchNormApplyOverride.calls().own - before.own, n, 'every case ran in cellab\'s kernel');
});

test('statistics that are not one value per channel go to tfjs\' kernel', () => {
  const before = batchNormApplyOverride.calls();
  tf.tidy(() => {
    const x = tf.randomNormal([2, 3, 3, 4], 0, 1, 'float32', 5);
    // One mean per row of a [2*3*3, 4] view would be 18 values: tfjs broadcasts [3, 4] statistics over the leading axes.
    const mean = tf.randomNormal([3, 4], 0, 1, 'float32', 6), variance = tf.randomUniform([3, 4], 0.5, 2, 'float32', 7);
    const got = tf.batchNorm(x, mean, variance, undefined, undefined, 1e-3);
    assert.deepEqual(got.shape, [2, 3, 3, 4]);
  });
  assert.equal(batchNormApplyOverride.calls().tfjs - before.tfjs, 1);
  assert.equal(batchNormApplyOverride.calls().own, before.own);
});
