// Test-time augmentation: the right views, averaged scores.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { createBackbone } from '../../src/models/index';
import { TTA_VIEWS, ttaViews } from '../../src/train/tta';
import { predictScores } from '../../src/train/predict';
import { toySource } from './toy-data';

before(async () => { await initEngine({ backend: 'wasm', log: null }); });

test('the dihedral views of an asymmetric 2x2 image are the 8 distinct flips/rotations', () => {
  // [[1, 2], [3, 4]] as [1, 2, 2, 1]
  const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
  const seen = TTA_VIEWS.dihedral.map((v) => Array.from(v(x).dataSync()).join(''));
  assert.deepEqual(seen, ['1234', '2143', '3412', '4321', '3142', '2413', '1324', '4231']);
  assert.equal(new Set(seen).size, 8);
  assert.equal(TTA_VIEWS.flips.length, 4);
  assert.equal(TTA_VIEWS.rotations.length, 4);
  x.dispose();
});

test('rotations need square images', () => {
  assert.throws(() => ttaViews('rotations', [16, 24, 1]), /needs square images; these are 16x24 \(use 'flips'\)/);
  assert.equal(ttaViews('flips', [16, 24, 1]).length, 4);
});

test('TTA scores are the mean of the per-view scores', async () => {
  const src = toySource(6, 1);
  const m = createBackbone('small-cnn', { inputShape: [16, 16, 1], classes: 3, seed: 1 });
  const plain = (await predictScores(m, src)).scores;
  const tta = (await predictScores(m, src, { tta: 'flips' })).scores;
  assert.notDeepEqual(tta, plain);
  const byView = TTA_VIEWS.flips.map((v) => tf.tidy(() => {
    const all: number[] = [];
    for (const b of src.batches({ batchSize: 64 })) { all.push(...tf.softmax(m.predict(v(b.x)) as tf.Tensor2D).dataSync()); tf.dispose([b.x, b.y]); }
    return all;
  }));
  tta.forEach((s, i) => assert.ok(Math.abs(s - byView.reduce((a, v) => a + v[i], 0) / 4) < 1e-6));
  for (let r = 0; r < 6; r++) assert.ok(Math.abs(tta.slice(r * 3, r * 3 + 3).reduce((a, b) => a + b) - 1) < 1e-5, 'rows still sum to 1');
  m.dispose();
});
