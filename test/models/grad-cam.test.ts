// Grad-CAM finds the evidence where it is: a tiny CNN learns to tell a small bright square
// from a bright cross, each placed anywhere on noise. The map of the square class puts most
// of its mass on the square, far more than the square's share of the image; on an image
// holding both objects it picks the square, not the cross. (The cross class is not checked:
// a net may call "cross" wherever it finds no square, and Grad-CAM shows that honestly.)
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { Random } from '../../src/engine/random';
import { camTarget, gradCam } from '../../src/models/grad-cam';
import { createBackbone, listBackbones } from '../../src/models/index';

before(async () => { await initEngine({ backend: 'wasm', log: null }); });

const S = 16, OBJ = 5;

/** Class 0: a filled 5x5 square; class 1: a 5x5 cross. At a random place, on noise. */
function draw(img: Float32Array, label: number, x: number, y: number): void {
  for (let dy = 0; dy < OBJ; dy++) for (let dx = 0; dx < OBJ; dx++) {
    if (label === 0 || dx === 2 || dy === 2) img[(y + dy) * S + x + dx] = 1;
  }
}

function sample(rng: Random, label: number): { img: Float32Array; x: number; y: number } {
  const img = Float32Array.from({ length: S * S }, () => 0.2 * rng.next());
  const x = rng.int(S - OBJ + 1), y = rng.int(S - OBJ + 1);
  draw(img, label, x, y);
  return { img, x, y };
}

/** Share of a map's mass inside the object at (x, y) and a one-pixel rim (3x3 kernels and upsampling blur its edge). */
function massOn(map: Float32Array, x: number, y: number): number {
  let inside = 0, total = 0;
  map.forEach((v, p) => {
    const px = p % S, py = Math.floor(p / S);
    total += v;
    if (px >= x - 1 && px <= x + OBJ && py >= y - 1 && py <= y + OBJ) inside += v;
  });
  return total > 0 ? inside / total : 0;
}

function tinyCnn(): tf.LayersModel {
  const input = tf.input({ shape: [S, S, 1], name: 'input' });
  let h = tf.layers.conv2d({ name: 'stage1_conv', filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
  h = tf.layers.conv2d({ name: 'stage2_conv', filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(h) as tf.SymbolicTensor;
  const f = tf.layers.globalAveragePooling2d({ name: 'features' }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ name: 'logits', units: 2, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(f) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

test('the CAM of a trained CNN lies on the object that decides the class', async () => {
  const rng = new Random(7);
  const n = 160;
  const xs = new Float32Array(n * S * S), ys = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    xs.set(sample(rng, label).img, i * S * S);
    ys[i * 2 + label] = 1;
  }
  const model = tinyCnn();
  model.compile({ optimizer: tf.train.adam(0.01), loss: (t: tf.Tensor, p: tf.Tensor) => tf.losses.softmaxCrossEntropy(t, p) });
  const x = tf.tensor4d(xs, [n, S, S, 1]), y = tf.tensor2d(ys, [n, 2]);
  await model.fit(x, y, { epochs: 10, batchSize: 32, shuffle: true, verbose: 0 });
  tf.dispose([x, y]);

  const testRng = new Random(99);
  const cases = Array.from({ length: 8 }, (_, i) => ({ label: i % 2, ...sample(testRng, i % 2) }));
  const batch = tf.tensor4d(Float32Array.from(cases.flatMap((c) => Array.from(c.img))), [cases.length, S, S, 1]);
  const preds = tf.tidy(() => (model.predict(batch) as tf.Tensor).argMax(-1).dataSync());
  const accuracy = cases.filter((c, i) => preds[i] === c.label).length / cases.length;
  assert.ok(accuracy >= 0.75, `the tiny CNN should learn the task (test accuracy ${accuracy})`);

  const cam = await gradCam(model, batch, 0);
  assert.equal(cam.layer, 'stage2_conv');
  assert.deepEqual([cam.height, cam.width, cam.maps.length], [S, S, cases.length]);
  const squares = cases.map((c, i) => ({ c, i })).filter(({ c }) => c.label === 0).map(({ c, i }) => massOn(cam.maps[i], c.x, c.y));
  const area = ((OBJ + 2) ** 2) / (S * S);
  const mean = squares.reduce((a, b) => a + b, 0) / squares.length;
  assert.ok(mean > 0.6, `mean CAM mass on the square ${mean.toFixed(2)} (the square and rim are ${(area * 100).toFixed(0)}% of the image); per image: ${squares.map((s) => s.toFixed(2))}`);

  // Both objects in one image, in opposite corners: the square class's map sits on the square.
  const both = Float32Array.from({ length: S * S }, () => 0.2 * testRng.next());
  draw(both, 0, 10, 10);
  draw(both, 1, 1, 1);
  const two = tf.tensor4d(both, [1, S, S, 1]);
  const m = (await gradCam(model, two, 0)).maps[0];
  assert.ok(massOn(m, 10, 10) > 3 * massOn(m, 1, 1), `square ${massOn(m, 10, 10).toFixed(2)} vs cross ${massOn(m, 1, 1).toFixed(2)}`);
  two.dispose();
  assert.ok(cam.maps.every((m) => m.every((v) => v >= 0 && v <= 1)), 'maps are scaled to 0..1');
  batch.dispose();
  model.dispose();
});

test('the target is the last convolutional block of each backbone; a ViT is refused with a reason', async () => {
  for (const [name, layer] of [['small-cnn', 'stage3_conv'], ['resnet18', 'stage4_block2_out']] as const) {
    const m = createBackbone(name, { inputShape: [32, 32, 1], classes: 3, width: 0.25 });
    const t = camTarget(m);
    assert.equal(t.layer.name, layer);
    assert.deepEqual(t.head.map((l) => l.name), ['features', 'logits']);
    const r = await gradCam(m, tf.zeros([1, 32, 32, 1]) as tf.Tensor4D, 1);
    assert.equal(r.maps[0].length, 32 * 32);
    await assert.rejects(gradCam(m, tf.zeros([1, 32, 32, 1]) as tf.Tensor4D, 3), /class index 3 is out of range \(the model has 3 outputs\)/);
    assert.throws(() => camTarget(m, 'logits'), /outputs 2-D tensors/);
    m.dispose();
  }
  const vit = createBackbone('vit-tiny', { inputShape: [32, 32, 1], classes: 3, width: 0.25 });
  assert.throws(() => camTarget(vit), /Grad-CAM applies to CNN backbones .* not to a ViT's tokens/);
  vit.dispose();
});

// Contract over the registry: every backbone gets a map over the whole image, or (token models) a refusal that says why.
test('every registered backbone: a Grad-CAM map over the whole image, or a reason it has none', async () => {
  const refused: string[] = [];
  for (const info of listBackbones()) {
    const size = Math.max(32, info.minInputSize);
    const m = createBackbone(info.name, { inputShape: [size, size, 1], classes: 3, width: 0.125, seed: 3 });
    try {
      let target;
      try {
        target = camTarget(m);
      } catch (err) {
        assert.match((err as Error).message, /Grad-CAM applies to CNN backbones .* not to a ViT's tokens/, info.name);
        refused.push(info.name);
        continue;
      }
      const x = tf.randomUniform([1, size, size, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
      const r = await gradCam(m, x, 1);
      x.dispose();
      assert.equal(r.maps[0].length, size * size, `${info.name}: the map covers the input (target ${target.layer.name})`);
      assert.ok(r.maps[0].every((v) => v >= 0 && v <= 1), `${info.name}: scaled to 0..1`);
    } finally {
      m.dispose();
    }
  }
  assert.deepEqual(refused, listBackbones().map((b) => b.name).filter((n) => n.startsWith('vit')), 'only the ViTs have no convolutional map');
});
