// The contract every registered backbone keeps, on the wasm backend: it
// builds, maps [B, H, W, C] to logits [B, classes], names its embedding layer
// `features` and its stages, has a finite gradient for every trainable weight,
// one training step lowers the loss on a fixed batch, and a checkpoint
// reloads to the same predictions (its custom layers serialise).
// The step is SGD along the gradient with a step LENGTH of 1e-4 in weight
// space (lr = 1e-4 / |g|): small enough to be first-order for every net, so a
// wrong gradient (a broken wasm kernel) shows as a rise in loss, while a net's
// tolerance for one big step at batch 4 (batch norm over 4 values) does not.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { createBackbone, listBackbones } from '../../src/models/index';
import { backboneStages } from '../../src/models/freeze';
import { saveCheckpoint, loadCheckpoint } from '../../src/models/checkpoint';
import { crossEntropy } from '../../src/train/losses';
import { createOptimizer } from '../../src/train/optimizers';

const SHAPE: [number, number, number] = [32, 32, 3];
const CLASSES = 5;

before(async () => { await initEngine({ backend: 'wasm', log: null }); });

test('at least ten backbones are registered, including the ones the studies sweep', () => {
  const names = listBackbones().map((b) => b.name);
  for (const n of ['small-cnn', 'resnet18', 'resnet34', 'resnet50', 'mobilenetv2', 'efficientnet-b0', 'convnext-atto', 'coatnet-0', 'googlenet', 'vit-tiny']) {
    assert.ok(names.includes(n), `${n} is not registered (have ${names.join(', ')})`);
  }
});

for (const info of listBackbones()) {
  test(`backbone ${info.name}: shape, stages, gradients, one step lowers the loss, checkpoint round trip`, async () => {
    const size = Math.max(SHAPE[0], info.minInputSize);
    const shape: [number, number, number] = [size, size, SHAPE[2]];
    const model = createBackbone(info.name, { inputShape: shape, classes: CLASSES, width: 0.125, seed: 3 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-bb-'));
    const x = tf.randomNormal([4, ...shape], 0, 1, 'float32', 7) as tf.Tensor4D;
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), CLASSES).toFloat() as tf.Tensor2D;
    const opt = createOptimizer({ name: 'sgd', momentum: 0 });
    try {
      const out = model.predict(x) as tf.Tensor;
      assert.deepEqual(out.shape, [4, CLASSES]);
      out.dispose();
      assert.equal(model.layers[model.layers.length - 1].name, 'logits');
      assert.ok(model.getLayer('features'), 'no layer named `features`');
      assert.ok(backboneStages(model).filter((s) => s.startsWith('stage')).length >= 2, `stages: ${backboneStages(model).join(', ')}`);

      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const lossAt = () => tf.tidy(() => crossEntropy(y, model.apply(x, { training: true }) as tf.Tensor2D).dataSync()[0]);
      const before = lossAt();
      const { value, grads } = tf.variableGrads(() => crossEntropy(y, model.apply(x, { training: true }) as tf.Tensor2D), vars);
      const bad = vars.filter((v) => !grads[v.name] || !grads[v.name].dataSync().every(Number.isFinite)).map((v) => v.name);
      assert.deepEqual(bad, [], `missing or non-finite gradients: ${bad.join(', ')}`);
      const norm = Math.sqrt(Object.values(grads).reduce((s, g) => s + tf.sum(tf.square(g)).dataSync()[0], 0));
      assert.ok(norm > 0, 'all gradients are zero');
      opt.step(vars, grads, 1e-4 / norm);
      tf.dispose([value, ...Object.values(grads)]);
      const after = lossAt();
      assert.ok(after < before, `loss ${before} -> ${after} after one SGD step (gradient norm ${norm})`);

      await saveCheckpoint(model, dir, { backbone: info.name });
      const { model: loaded, meta } = await loadCheckpoint(dir);
      assert.equal(meta.backbone, info.name);
      const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
      const diff = tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
      assert.ok(diff < 1e-5, `reloaded checkpoint predicts differently (max |diff| ${diff})`);
      tf.dispose([a, b]);
      loaded.dispose();
    } finally {
      tf.dispose([x, y]);
      opt.dispose();
      model.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
