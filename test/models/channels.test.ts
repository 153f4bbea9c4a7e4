// Every registered backbone takes any number of input channels (HPA's 4 stains,
// green + a reference stain) and trains its first layer on them.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { createBackbone, listBackbones } from '../../src/models/index';
import { binaryCrossEntropy } from '../../src/train/losses';

before(async () => { await initEngine({ backend: 'wasm', log: null }); });

for (const info of listBackbones()) {
  test(`backbone ${info.name} takes 2 and 4 input channels`, () => {
    const size = Math.max(32, info.minInputSize); // inception-v3 needs 75 px
    for (const channels of [2, 4]) {
      const model = createBackbone(info.name, { inputShape: [size, size, channels], classes: 5, width: 0.125, seed: 1 });
      const x = tf.randomNormal([2, size, size, channels], 0, 1, 'float32', 3) as tf.Tensor4D;
      const y = tf.tensor2d([[1, 0, 1, 0, 0], [0, 1, 0, 0, 1]]);
      try {
        const out = model.predict(x) as tf.Tensor;
        assert.deepEqual(out.shape, [2, 5]);
        out.dispose();
        const first = model.trainableWeights.find((w) => w.shape.length === 4)!;
        assert.equal(first.shape[2], channels, `${first.name} reads ${first.shape[2]} channels`);
        const v = first.read() as tf.Variable;
        const { value, grads } = tf.variableGrads(() => binaryCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor2D), [v]);
        const g = grads[v.name];
        assert.ok(g && tf.sum(tf.abs(g)).dataSync()[0] > 0 && g.dataSync().every(Number.isFinite), 'first-layer gradient is finite and non-zero');
        tf.dispose([value, ...Object.values(grads)]);
      } finally {
        tf.dispose([x, y]);
        model.dispose();
      }
    }
  });
}
