import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { mlpHead } from '../../src/models/ssl-heads';

before(async () => { await initEngine({ backend: 'wasm', log: null }); });

test('MLP heads: Linear-BN-ReLU-Linear (BYOL), 3 layers with a plain output BN (SimSiam\'s projector), [B, in] -> [B, out], seeded', () => {
  const byol = mlpHead({ name: 'projector', inputDim: 12, hiddenDim: 32, outDim: 8, seed: 1 });
  const simsiam = mlpHead({ name: 'projector', inputDim: 12, hiddenDim: 32, outDim: 8, seed: 1, layers: 3, outputNorm: 'plain' });
  assert.deepEqual(byol.layers.map((l) => l.name), ['projector_input', 'projector_fc1', 'projector_bn1', 'projector_relu1', 'projector_fc2']);
  assert.deepEqual(simsiam.layers.map((l) => l.name), ['projector_input', 'projector_fc1', 'projector_bn1', 'projector_relu1',
    'projector_fc2', 'projector_bn2', 'projector_relu2', 'projector_fc3', 'projector_bn3']);
  // The output norm has no scale or offset to learn (affine=False); the hidden ones do.
  assert.deepEqual(simsiam.getLayer('projector_bn3').trainableWeights.map((w) => w.originalName), []);
  assert.deepEqual(simsiam.getLayer('projector_bn2').trainableWeights.map((w) => w.originalName.split('/').pop()), ['gamma', 'beta']);
  assert.equal(simsiam.getLayer('projector_fc3').getWeights().length, 1, 'no bias before a batch norm');
  const x = tf.randomNormal([5, 12], 0, 1, 'float32', 3);
  const y = simsiam.apply(x, { training: true }) as tf.Tensor;
  assert.deepEqual(y.shape, [5, 8]);
  // The output batch norm standardises every output across the batch.
  const { mean, variance } = tf.moments(y, 0);
  assert.ok(mean.dataSync().every((m) => Math.abs(m) < 1e-4), `means ${Array.from(mean.dataSync())}`);
  assert.ok(variance.dataSync().every((v) => Math.abs(v - 1) < 0.01), `variances ${Array.from(variance.dataSync())}`);
  // An affine output norm (outputNorm: 'affine') learns gamma and beta.
  const affine = mlpHead({ name: 'p', inputDim: 12, hiddenDim: 32, outDim: 8, seed: 1, outputNorm: 'affine' });
  assert.equal(affine.getLayer('p_bn2').trainableWeights.length, 2);
  const again = mlpHead({ name: 'projector', inputDim: 12, hiddenDim: 32, outDim: 8, seed: 1 });
  assert.deepEqual(again.getWeights()[0].dataSync(), byol.getWeights()[0].dataSync(), 'same seed, same weights');
  assert.notDeepEqual(mlpHead({ name: 'projector', inputDim: 12, hiddenDim: 32, outDim: 8, seed: 2 }).getWeights()[0].dataSync(), byol.getWeights()[0].dataSync());
  assert.throws(() => mlpHead({ name: 'predictor', inputDim: 12, hiddenDim: 0, outDim: 8, seed: 1 }), /predictor: hiddenDim must be a positive integer, got 0/);
  assert.throws(() => mlpHead({ name: 'predictor', inputDim: 12, hiddenDim: 4, outDim: 8, seed: 1, layers: 0 }), /predictor: layers must be a positive integer, got 0/);
  tf.dispose([x, y, mean, variance]);
  for (const m of [byol, simsiam, affine, again]) m.dispose();
});
