// Forward parity with the published architectures: Debian's PyTorch builds the
// reference (reference.py), saves random well-scaled weights as .pth and as
// .safetensors with the logits of a fixed input; cellab loads both files into
// its own architecture at width 1 and must give the same eval-mode logits on
// wasm: max |difference| <= 1e-4 x the logit scale. Also: every weight of
// the file is used, and our parameter count equals PyTorch's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../../src/engine/backend';
import { createBackbone, parameterCount } from '../../../src/models/index';
import { loadWeightsFile, summariseLoad } from '../../../src/models/import/loader';
import { publishedWeights } from '../../../src/models/import/published';
import { torchPython, NO_TORCH } from '../torch-python';
import { makeReference, referenceInput, maxAbsDiff } from './reference';

/**
 * [our name, reference name (torchvision, or timm_* from timm_ref.py), input size]: small inputs where the
 * net allows. Inception v3 at 139 px: at its 75 px minimum its last stages see 1x1 maps, the random net is
 * ill-conditioned and PyTorch's own float32 error (vs float64) is itself above 1e-4 of the logit scale.
 */
export const CASES: [string, string, number][] = [
  ['resnet18', 'resnet18', 64],
  ['resnet34', 'resnet34', 64],
  ['resnet50', 'resnet50', 64],
  ['mobilenetv2', 'mobilenet_v2', 64],
  ['efficientnet-b0', 'efficientnet_b0', 64],
  ['efficientnet-b1', 'efficientnet_b1', 64],
  ['convnext-tiny', 'convnext_tiny', 64],
  ['convnext-atto', 'timm_convnext_atto', 64],
  ['googlenet', 'googlenet', 64],
  ['inception-v3', 'inception_v3', 139],
  ['vit-b-16', 'vit_b_16', 32],
  ['coatnet-0', 'timm_coatnet_0_rw_224', 64],
];

let tmp: string;
before(async () => {
  await initEngine({ backend: 'wasm', log: null });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-parity-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

for (const [arch, ref, size] of CASES) {
  test(`${arch} = ${ref.replace(/^timm_/, 'timm ')} (PyTorch): same logits from .pth and .safetensors at ${size} px`, (t) => {
    if (!torchPython()) { t.skip(NO_TORCH); return; }
    const r = makeReference(ref, size, path.join(tmp, arch));
    const x = referenceInput(r);
    const pub = publishedWeights(arch);
    const model = createBackbone(arch, { inputShape: [size, size, 3], classes: r.logits[0].length, width: 1, zeroInit: true });
    try {
      assert.equal(parameterCount(model), r.params, 'parameter count differs from PyTorch\'s');
      for (const file of [r.pth, r.safetensors]) {
        const report = loadWeightsFile(model, file, { ignore: pub?.ignore, rename: pub?.rename });
        assert.deepEqual(report.unexpected, [], summariseLoad(report));
        const got = tf.tidy(() => (model.predict(x) as tf.Tensor).arraySync() as number[][]);
        const scale = Math.max(...r.logits.flat().map(Math.abs));
        const diff = maxAbsDiff(got, r.logits);
        t.diagnostic(`${path.basename(file)}: max |diff| ${diff.toExponential(2)} (PyTorch's own float32 error ${r.f32Error.toExponential(2)}), logit scale ${scale.toFixed(3)}; ${summariseLoad(report)}`);
        assert.ok(diff <= 1e-4 * Math.max(1, scale), `${arch} from ${path.basename(file)}: max |logit difference| ${diff} > 1e-4 x scale ${scale}`);
        // The second file must load everything again: zero every weight first.
        tf.tidy(() => { for (const w of model.weights) w.write(tf.zerosLike(w.read())); });
      }
    } finally {
      x.dispose();
      model.dispose();
      fs.rmSync(r.dir, { recursive: true, force: true });
    }
  });
}
