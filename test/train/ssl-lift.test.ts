// BYOL learns: on a synthetic set whose class a random-init network does not
// linearly expose (stripes vs crosshatch at random orientations, see
// toy-data.ts), the linear probe of the BYOL-pretrained backbone beats the
// same backbone at its random init by a clear margin. A broken BYOL (its
// target trained by gradients) stays near the random init and fails here.
// The full-size comparison on the synthetic HEp-2 patterns is
// bench/ssl-probe.ts (random convolutional features are strong there).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine } from '../../src/engine/backend';
import { validate } from '../../src/engine/schema';
import { trainSchema, type TrainConfig } from '../../src/train/schema';
import { createBackbone } from '../../src/models/index';
import { probeBackbone } from '../../src/experiment/ssl-eval';
import { fitSsl } from '../../src/train/index';
import { stripesOrCrosshatch } from './toy-data';

before(async () => { await initEngine({ backend: 'wasm', log: null }); });

// 60 epochs: at 30 the margin hung on float rounding (seed 1 fell from 0.75 to 0.67 when the
// SIMD kernels changed). At 60 epochs (seeds 0-3, measured with a cosine schedule) random init
// gives 0.55-0.66 and BYOL 0.67-0.85 on the 384 test images, a lift of 0.12-0.22. Seed 0 here:
// 0.63 -> 0.87; with the target trained by gradients 0.66. Not failures this test can catch: a
// flipped loss sign (0.74: the predictor's last layer can negate) and a target frozen at its init
// (0.71: regressing onto a fixed random network teaches something, as BYOL's paper reports).
const SEED = 0;

test('BYOL lifts the linear probe well above the random-init backbone (stripes vs crosshatch)', async () => {
  const problems: string[] = [];
  const cfg = validate(trainSchema, {
    method: 'byol', epochs: 60, lr: 0.01, batchSize: 32, optimizer: 'adamw', seed: SEED,
    ssl: {
      projectionDim: 64, projectionHiddenDim: 128, tau: 0.99,
      // Geometry and photometry only: blur and strong zooms would erase the stripes the class lives in.
      views: { crop: { scale: [0.5, 1] }, hflip: 0.5, vflip: 0.5, rotate90: true, brightness: 0.4, contrast: 0.4, jitterP: 0.8 },
    },
    linear: { C: [0.01, 0.1, 1, 10] },
  }, 'train', problems) as TrainConfig;
  assert.deepEqual(problems, []);
  const splits = { train: stripesOrCrosshatch(192, 1), val: stripesOrCrosshatch(96, 2), test: stripesOrCrosshatch(384, 3) };
  const net = createBackbone('small-cnn', { inputShape: [24, 24, 1], classes: 2, width: 0.25, seed: SEED });
  try {
    const probe = async () => (await probeBackbone(net, splits, { layer: 'features', knn: 10, train: cfg })).metrics['test/linear_probe_accuracy'];
    const random = await probe();
    const r = await fitSsl(net, splits.train, cfg, {}, { featureLayer: 'features' });
    assert.equal(r.outcome, 'completed', r.reason);
    const byol = await probe();
    process.stderr.write(`linear probe (test, 384 images, chance 0.5): random init ${random.toFixed(3)}, BYOL ${byol.toFixed(3)}\n`);
    assert.ok(byol >= random + 0.1, `BYOL ${byol.toFixed(3)} is not clearly above random init ${random.toFixed(3)}`);
    assert.ok(byol >= 0.65, `BYOL ${byol.toFixed(3)}`);
  } finally {
    net.dispose();
  }
});
