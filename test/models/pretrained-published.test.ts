// model.pretrained with published weights: torchvision:resnet18=FILE, the bare
// id from the weights cache, a bare .pth; the classifier replaced for the
// dataset's classes; ImageNet normalisation inside the model; a gray image
// into the RGB stem by repeating it or by summing the stem (same outputs);
// freeze presets on the loaded net. The file is a random-weights resnet18
// written by Debian's PyTorch (no download).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { buildModel } from '../../src/models/build-model';
import { modelSchema, type ModelConfig } from '../../src/models/schema';
import { validate } from '../../src/engine/schema';
import { torchPython, NO_TORCH } from './torch-python';
import { makeReference, referenceInput, maxAbsDiff, type Reference } from './parity/reference';

let tmp: string;
let ref: Reference | undefined;
const SIZE = 32;
before(async () => {
  await initEngine({ backend: 'wasm', log: null });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-pub-'));
  if (torchPython()) ref = makeReference('resnet18', SIZE, path.join(tmp, 'ref'), 2);
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function cfg(o: Partial<ModelConfig>): ModelConfig {
  return { ...(validate(modelSchema, { backbone: 'resnet18' }, 'model', []) as ModelConfig), ...o };
}

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

test('torchvision:resnet18=FILE on RGB images: weights load, ImageNet normalisation is in the model, 1000 classes give PyTorch\'s logits', (t) => {
  if (!ref) { t.skip(NO_TORCH); return; }
  const lines: string[] = [];
  const built = buildModel(cfg({ pretrained: `torchvision:resnet18=${ref.pth}` }), { inputShape: [SIZE, SIZE, 3], classes: 1000, seed: 0, log: (l) => lines.push(l) });
  const x = referenceInput(ref);
  // Pixels in 0..1 that ImageNet normalisation maps onto the reference input.
  const raw = tf.tidy(() => tf.add(tf.mul(x, IMAGENET.std), IMAGENET.mean));
  try {
    const got = tf.tidy(() => (built.model.predict(raw) as tf.Tensor).arraySync() as number[][]);
    assert.ok(maxAbsDiff(got, ref.logits) < 1e-4, `max diff ${maxAbsDiff(got, ref.logits)}`);
    assert.equal(built.imported?.id, 'torchvision:resnet18');
    assert.equal(built.imported?.report.head, undefined);
    assert.equal(built.params, 11_689_512);
    assert.match(lines.join('\n'), /pretrained torchvision:resnet18 weights from .*model\.pth: loaded 122\/122 weights from pytorch/);
    assert.match(lines.join('\n'), /input normalised in the model as the weights expect: mean 0\.485,0\.456,0\.406, std 0\.229,0\.224,0\.225 \(torchvision:resnet18\)/);
  } finally {
    tf.dispose([x, raw]);
    built.model.dispose();
  }
});

test('6 gray classes: the classifier is replaced and said so; repeating the gray channel and summing the stem give the same outputs', (t) => {
  if (!ref) { t.skip(NO_TORCH); return; }
  const o = { inputShape: [SIZE, SIZE, 1] as [number, number, number], classes: 6, seed: 5 };
  const rep = buildModel(cfg({ pretrained: `torchvision:resnet18=${ref.pth}`, stem: 'repeat' }), o);
  const sum = buildModel(cfg({ pretrained: ref.safetensors, stem: 'sum' }), o);
  const gray = tf.randomUniform([2, SIZE, SIZE, 1], 0, 1, 'float32', 9);
  try {
    assert.deepEqual(rep.imported?.report.head, { layer: 'logits', sourceClasses: 1000, classes: 6 });
    assert.equal(rep.imported?.input.stem, 'repeat');
    assert.equal(sum.imported?.input.stem, 'sum');
    assert.deepEqual(sum.imported?.report.adapted, ['stem_conv/kernel']);
    assert.deepEqual(rep.model.getLayer('stem_conv').getWeights()[0].shape, [7, 7, 3, 64]);
    assert.deepEqual(sum.model.getLayer('stem_conv').getWeights()[0].shape, [7, 7, 1, 64]);
    const a = tf.tidy(() => (rep.model.predict(gray) as tf.Tensor).arraySync() as number[][]);
    const b = tf.tidy(() => (sum.model.predict(gray) as tf.Tensor).arraySync() as number[][]);
    assert.ok(maxAbsDiff(a, b) < 1e-4, `repeat vs sum: max diff ${maxAbsDiff(a, b)}`);
    // The backbone is the loaded one: the pooled features differ from a randomly initialised net's.
    const fresh = buildModel(cfg({}), o);
    const feats = (m: tf.LayersModel) => tf.tidy(() => (tf.model({ inputs: m.inputs, outputs: m.getLayer('features').output as tf.SymbolicTensor }).predict(gray) as tf.Tensor).arraySync() as number[][]);
    assert.ok(maxAbsDiff(feats(fresh.model), feats(rep.model)) > 1e-2);
    fresh.model.dispose();
  } finally {
    gray.dispose();
    rep.model.dispose();
    sum.model.dispose();
  }
});

test('torchvision:resnet18 without a path reads the weights cache, and says how to fetch when the file is not there', (t) => {
  if (!ref) { t.skip(NO_TORCH); return; }
  const cache = path.join(tmp, 'cache');
  const prev = process.env.CELLAB_WEIGHTS_DIR;
  process.env.CELLAB_WEIGHTS_DIR = cache;
  try {
    assert.throws(() => buildModel(cfg({ pretrained: 'torchvision:resnet18' }), { inputShape: [SIZE, SIZE, 3], classes: 2, seed: 0 }),
      /torchvision:resnet18 is not in the weights cache \(.*resnet18-f37072fd\.pth\)\. Fetch it with `cellab weights fetch torchvision:resnet18` \(downloads https:\/\/download\.pytorch\.org\/models\/resnet18-f37072fd\.pth\)/);
    fs.mkdirSync(cache, { recursive: true });
    fs.copyFileSync(ref.pth, path.join(cache, 'resnet18-f37072fd.pth'));
    const built = buildModel(cfg({ pretrained: 'torchvision:resnet18', freeze: 'medium' }), { inputShape: [SIZE, SIZE, 3], classes: 2, seed: 0 });
    assert.equal(built.imported?.report.loaded.length, 120);
    assert.deepEqual(built.freeze?.stages, ['stem', 'stage1', 'stage2']);
    assert.ok(built.freeze!.frozenParams > 0 && built.freeze!.trainableParams > 0);
    built.model.dispose();
  } finally {
    if (prev === undefined) delete process.env.CELLAB_WEIGHTS_DIR; else process.env.CELLAB_WEIGHTS_DIR = prev;
  }
});

test('weights for another backbone or width are refused with what to change', (t) => {
  if (!ref) { t.skip(NO_TORCH); return; }
  const o = { inputShape: [SIZE, SIZE, 3] as [number, number, number], classes: 2, seed: 0 };
  assert.throws(() => buildModel(cfg({ backbone: 'resnet34', pretrained: `torchvision:resnet18=${ref!.pth}` }), o), /holds resnet18 weights but model\.backbone is resnet34; set model\.backbone: resnet18/);
  assert.throws(() => buildModel(cfg({ width: 0.5, pretrained: `torchvision:resnet18=${ref!.pth}` }), o), /weights are for width 1, model\.width is 0\.5/);
  assert.throws(() => buildModel(cfg({ backbone: 'resnet34', pretrained: ref!.pth }), o), /does not fit resnet34: .*missing \(stage1_block3_1_conv\/kernel <- layer1\.2\.conv1\.weight/);
  assert.throws(() => buildModel(cfg({ pretrained: 'torchvision:resnet81=x.pth' }), o), /no published weights named 'torchvision:resnet81'\. Known: torchvision:resnet18/);
});
