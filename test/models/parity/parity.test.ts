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
import { readNpy } from '../../../src/models/import/npy';
import { torchPython, runPython, NO_TORCH } from '../torch-python';

const REFERENCE = fs.readFileSync(path.join(__dirname, 'reference.py'), 'utf8');

/** [our name, reference name (torchvision, or timm_* from timm_ref.py), input size]: small inputs where the net allows. */
export const CASES: [string, string, number][] = [
  ['resnet18', 'resnet18', 64],
  ['resnet34', 'resnet34', 64],
  ['resnet50', 'resnet50', 64],
  ['mobilenetv2', 'mobilenet_v2', 64],
  ['efficientnet-b0', 'efficientnet_b0', 64],
  ['efficientnet-b1', 'efficientnet_b1', 64],
];

let tmp: string;
before(async () => {
  await initEngine({ backend: 'wasm', log: null });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-parity-'));
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function nchwToNhwc(t: { shape: number[]; data: Float32Array }): tf.Tensor4D {
  return tf.tidy(() => tf.transpose(tf.tensor4d(t.data, t.shape as [number, number, number, number]), [0, 2, 3, 1]));
}

for (const [arch, ref, size] of CASES) {
  test(`${arch} = ${ref.replace(/^timm_/, 'timm ')} (PyTorch): same logits from .pth and .safetensors at ${size} px`, (t) => {
    if (!torchPython()) { t.skip(NO_TORCH); return; }
    const dir = path.join(tmp, arch);
    const scriptFile = path.join(tmp, 'reference.py');
    fs.writeFileSync(scriptFile, REFERENCE);
    if (fs.existsSync(path.join(__dirname, 'timm_ref.py'))) fs.copyFileSync(path.join(__dirname, 'timm_ref.py'), path.join(tmp, 'timm_ref.py'));
    runPython(`import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')`, [scriptFile, ref, String(size), dir]);
    const expected = JSON.parse(fs.readFileSync(path.join(dir, 'logits.json'), 'utf8')) as { logits: number[][]; params: number };
    const x = nchwToNhwc(readNpy(path.join(dir, 'input.npy')));
    const pub = publishedWeights(arch);
    const model = createBackbone(arch, { inputShape: [size, size, 3], classes: expected.logits[0].length, width: 1 });
    try {
      assert.equal(parameterCount(model), expected.params, 'parameter count differs from PyTorch\'s');
      for (const file of ['model.pth', 'model.safetensors']) {
        const report = loadWeightsFile(model, path.join(dir, file), { ignore: pub?.ignore });
        assert.deepEqual(report.unexpected, [], summariseLoad(report));
        const got = tf.tidy(() => (model.predict(x) as tf.Tensor).arraySync() as number[][]);
        const want = expected.logits.flat();
        const scale = Math.max(...want.map(Math.abs));
        const diff = Math.max(...got.flat().map((v, i) => Math.abs(v - want[i])));
        t.diagnostic(`${file}: max |diff| ${diff.toExponential(2)}, logit scale ${scale.toFixed(3)}; ${summariseLoad(report)}`);
        assert.ok(diff <= 1e-4 * Math.max(1, scale), `${arch} from ${file}: max |logit difference| ${diff} > 1e-4 x scale ${scale}`);
        // Load into a fresh state next time: zero the weights so the second file must load everything again.
        tf.tidy(() => { for (const w of model.weights) w.write(tf.zerosLike(w.read())); });
      }
    } finally {
      x.dispose();
      model.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
