import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { mlpHead } from '../../src/models/ssl-heads';

before(async () => { await initEngine({ backend: 'wasm', log: null }); });

test('MLP heads: Linear-BN-ReLU-Linear (+ BN for SimSiam\'s projector), [B, in] -> [B, out], seeded', () => {
  const byol = mlpHead({ name: 'projector', inputDim: 12, hiddenDim: 32, outDim: 8, seed: 1 });
  const simsiam = mlpHead({ name: 'projector', inputDim: 12, hiddenDim: 32, outDim: 8, seed: 1, outputNorm: true });
  assert.deepEqual(byol.layers.map((l) => l.name), ['projector_input', 'projector_fc1', 'projector_bn1', 'projector_relu1', 'projector_fc2']);
  assert.deepEqual(simsiam.layers.map((l) => l.name).slice(-2), ['projector_fc2', 'projector_bn2']);
  const x = tf.randomNormal([5, 12], 0, 1, 'float32', 3);
  const y = simsiam.apply(x, { training: true }) as tf.Tensor;
  assert.deepEqual(y.shape, [5, 8]);
  // The output batch norm centres every output across the batch.
  const means = tf.mean(y, 0).dataSync();
  assert.ok(means.every((m) => Math.abs(m) < 1e-4), `means ${Array.from(means)}`);
  const again = mlpHead({ name: 'projector', inputDim: 12, hiddenDim: 32, outDim: 8, seed: 1 });
  assert.deepEqual(again.getWeights()[0].dataSync(), byol.getWeights()[0].dataSync(), 'same seed, same weights');
  assert.notDeepEqual(mlpHead({ name: 'projector', inputDim: 12, hiddenDim: 32, outDim: 8, seed: 2 }).getWeights()[0].dataSync(), byol.getWeights()[0].dataSync());
  assert.throws(() => mlpHead({ name: 'predictor', inputDim: 12, hiddenDim: 0, outDim: 8, seed: 1 }), /predictor: hiddenDim must be a positive integer, got 0/);
  tf.dispose([x, y]);
});
