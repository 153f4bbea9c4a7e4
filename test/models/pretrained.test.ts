// Pretrained weights offline: checkpoints, weight manifests and earlier runs'
// folders, transferred by name and shape with a report.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { createBackbone } from '../../src/models/index';
import { saveCheckpoint } from '../../src/models/checkpoint';
import { loadPretrained, resolvePretrainedFile } from '../../src/models/pretrained';
import { summariseTransfer } from '../../src/models/transfer';

let tmp: string;
before(async () => {
  await initEngine({ backend: 'wasm', log: null });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-pre-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function features(m: tf.LayersModel, x: tf.Tensor): Float32Array {
  const f = tf.model({ inputs: m.inputs, outputs: m.getLayer('features').output as tf.SymbolicTensor });
  return tf.tidy(() => (f.predict(x) as tf.Tensor).dataSync() as Float32Array);
}

test('a checkpoint of a 6-class model fine-tunes into a 2-class one: all but the classifier load, same embeddings', async () => {
  const src = createBackbone('resnet18', { inputShape: [32, 32, 1], classes: 6, width: 0.125, seed: 1 });
  const dir = path.join(tmp, 'ckpt');
  await saveCheckpoint(src, dir, { backbone: 'resnet18' });
  const dst = createBackbone('resnet18', { inputShape: [32, 32, 1], classes: 2, width: 0.125, seed: 2 });
  const x = tf.randomNormal([2, 32, 32, 1], 0, 1, 'float32', 5);
  assert.notDeepEqual(features(dst, x), features(src, x));
  const r = loadPretrained(dst, dir);
  assert.equal(r.file, path.join(dir, 'model.json'));
  assert.deepEqual(r.shapeMismatch.map((m) => m.name), ['logits/kernel', 'logits/bias']);
  assert.deepEqual(r.shapeMismatch[1], { name: 'logits/bias', target: [2], source: [6] });
  assert.equal(r.loaded.length, dst.weights.length - 2);
  assert.deepEqual(r.missing, []);
  assert.deepEqual(features(dst, x), features(src, x));
  assert.match(summariseTransfer(r), /loaded \d+\/\d+ weights; 2 shape mismatch \(logits\/kernel/);
  tf.dispose([x]);
  src.dispose(); dst.dispose();
});

/** Writes a tfjs weights manifest + shard, the way tfjs-converter lays out weights. */
async function writeManifest(dir: string, weights: tf.NamedTensorMap): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  const { data, specs } = await tf.io.encodeWeights(weights);
  fs.writeFileSync(path.join(dir, 'group1-shard1of1.bin'), Buffer.from(data));
  const file = path.join(dir, 'weights_manifest.json');
  fs.writeFileSync(file, JSON.stringify([{ paths: ['group1-shard1of1.bin'], weights: specs }]));
  return file;
}

test('a weights manifest under a model scope loads by name; an RGB first conv is summed into a gray one', async () => {
  const rgb = createBackbone('small-cnn', { inputShape: [16, 16, 3], classes: 4, seed: 1 });
  const named: tf.NamedTensorMap = {};
  for (const w of rgb.weights) named[`pretrained_net/${w.originalName}`] = w.read();
  const dir = path.join(tmp, 'manifest');
  await writeManifest(dir, named);
  const gray = createBackbone('small-cnn', { inputShape: [16, 16, 1], classes: 4, seed: 2 });
  const r = loadPretrained(gray, dir);
  assert.deepEqual(r.adapted, ['stage1_conv/kernel']);
  assert.equal(r.loaded.length, gray.weights.length - 1);
  assert.deepEqual(r.unused, []);
  const expected = tf.sum(rgb.getLayer('stage1_conv').getWeights()[0], 2, true);
  const got = gray.getLayer('stage1_conv').getWeights()[0];
  assert.ok(tf.max(tf.abs(tf.sub(expected, got))).dataSync()[0] < 1e-6);
  // The gray model sees a gray image as the RGB model sees the same image in all three channels.
  const x1 = tf.randomUniform([2, 16, 16, 1], 0, 1, 'float32', 3);
  const x3 = tf.concat([x1, x1, x1], -1);
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(gray.predict(x1) as tf.Tensor, rgb.predict(x3) as tf.Tensor))).dataSync()[0]);
  assert.ok(diff < 1e-4, `gray vs RGB logits differ by ${diff}`);
  tf.dispose([expected, x1, x3]);
  rgb.dispose(); gray.dispose();
});

test("model.pretrained accepts a run's folder or its artifacts folder in a local MLflow store", async () => {
  const run = path.join(tmp, 'mlruns', '123', 'abcdef');
  fs.mkdirSync(run, { recursive: true });
  fs.writeFileSync(path.join(run, 'meta.yaml'), 'run_id: abcdef\n');
  assert.throws(() => resolvePretrainedFile(run), /MLflow run folder without a logged checkpoint/);
  const m = createBackbone('small-cnn', { inputShape: [16, 16, 1], classes: 2 });
  await saveCheckpoint(m, path.join(run, 'artifacts', 'checkpoint'));
  const expected = path.join(run, 'artifacts', 'checkpoint', 'model.json');
  assert.equal(resolvePretrainedFile(run), expected);
  assert.equal(resolvePretrainedFile(path.join(run, 'artifacts')), expected);
  assert.equal(resolvePretrainedFile(path.join(run, 'artifacts', 'checkpoint')), expected);
  assert.throws(() => resolvePretrainedFile(path.join(tmp, 'nope')), /does not exist/);
  m.dispose();
});

test('a missing shard is named in the error', async () => {
  const dir = path.join(tmp, 'broken');
  const m = createBackbone('small-cnn', { inputShape: [16, 16, 1], classes: 2 });
  await saveCheckpoint(m, dir);
  fs.rmSync(path.join(dir, 'weights.bin'));
  assert.throws(() => loadPretrained(m, dir), /lists weight shard 'weights\.bin', which cannot be read \(ENOENT\)/);
  m.dispose();
});
