// Self-supervised pretraining works with every registered backbone: the
// online network (backbone up to `features` + heads) and BYOL's target copy
// build, one step gives a finite loss, trains the backbone and moves the
// target part of the way (EMA); SimSiam likewise without a target.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { createBackbone, listBackbones } from '../../src/models/index';
import { validate } from '../../src/engine/schema';
import { trainSchema, type TrainConfig } from '../../src/train/schema';
import { createOptimizer } from '../../src/train/optimizers';
import { SslLearner } from '../../src/train/index';


before(async () => { await initEngine({ backend: 'wasm', log: null }); });

const ssl = (validate(trainSchema, { method: 'byol', ssl: { projectionDim: 16, projectionHiddenDim: 32 } }, 'train', []) as TrainConfig).ssl;

for (const info of listBackbones()) {
  test(`backbone ${info.name}: one BYOL step and one SimSiam step`, async () => {
    const size = Math.max(32, info.minInputSize); // inception-v3 needs 75 px
    const SHAPE: [number, number, number] = [size, size, 3];
    const net = createBackbone(info.name, { inputShape: SHAPE, classes: 3, width: 0.125, seed: 3 });
    // [view 1 of 2 images; view 2 of the same]
    const x = tf.randomNormal([4, ...SHAPE], 0, 1, 'float32', 7) as tf.Tensor4D;
    try {
      for (const method of ['byol', 'simsiam'] as const) {
        const learner = await SslLearner.create(net, { method, featureLayer: 'features', ssl, seed: 0 });
        const opt = createOptimizer({ name: 'sgd', momentum: 0 });
        try {
          const pairs = learner.emaPairs();
          assert.equal(pairs.length > 0, method === 'byol');
          const first = net.trainableWeights[0];
          const before = Float32Array.from(first.read().dataSync() as Float32Array);
          const targetBefore = pairs.map((p) => Float32Array.from(p.target.read().dataSync() as Float32Array));
          const r = await learner.step(x, 2, { optimizer: opt, lr: 0.05, tau: 0.5, vars: learner.trainableVariables(), pairs });
          assert.ok(Number.isFinite(r.loss) && Number.isFinite(r.embeddingStd), `${method}: loss ${r.loss}, spread ${r.embeddingStd}`);
          assert.ok(first.read().dataSync().some((v, i) => v !== before[i]), `${method}: ${first.originalName} did not train`);
          if (method === 'byol') assert.ok(pairs.some((p, i) => p.target.read().dataSync().some((v, j) => v !== targetBefore[i][j])), 'the target did not move');
        } finally {
          learner.dispose();
          opt.dispose();
        }
      }
    } finally {
      x.dispose();
      net.dispose();
    }
  });
}
