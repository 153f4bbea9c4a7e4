// cellab's resnet18 against torchvision's (Debian's python3-torchvision as the
// oracle): with the same weights both compute the same logits, in inference
// and in training mode (batch statistics), and the same gradients. This holds
// the layout details PyTorch users rely on: symmetric padding of strided convs
// and of the max-pool, batch-norm eps, the projection shortcuts. And the
// initial weights follow torchvision's scheme (He-normal fan-out convs, norms
// at 1/0, nn.Linear's default classifier).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { createBackbone } from '../../src/models/index';
import { crossEntropy } from '../../src/train/losses';

before(async () => { await initEngine({ backend: 'wasm', log: null }); });

/** torchvision's parameter name for a cellab layer's weight (by position within the layer). */
function torchName(layer: string, index: number, kind: string): string {
  const bn = ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'];
  const suffix = kind === 'CellabBatchNorm' ? bn[index] : index === 0 ? 'weight' : 'bias';
  if (layer === 'logits') return `fc.${suffix}`;
  if (layer === 'stem_conv') return `conv1.${suffix}`;
  if (layer === 'stem_bn') return `bn1.${suffix}`;
  const m = /^stage(\d)_block(\d)_(1|2|down)_(conv|bn)$/.exec(layer);
  if (!m) throw new Error(`no torchvision name for layer ${layer}`);
  const [, s, b, part, what] = m;
  const module = part === 'down' ? `downsample.${what === 'conv' ? 0 : 1}` : `${what}${part}`;
  return `layer${s}.${Number(b) - 1}.${module}.${suffix}`;
}

const relErr = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let diff = 0, scale = 1e-12;
  for (let i = 0; i < a.length; i++) { diff = Math.max(diff, Math.abs(a[i] - b[i])); scale = Math.max(scale, Math.abs(b[i])); }
  return diff / scale;
};

test('resnet18 (width 1) computes what torchvision.models.resnet18 computes with the same weights: logits in inference and training mode, gradients', () => {
  const shape: [number, number, number, number] = [4, 32, 32, 3];
  const classes = 10;
  const model = createBackbone('resnet18', { inputShape: [32, 32, 3], classes, width: 1, seed: 1 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-resnet-torch-'));
  try {
    const meta: { torch: string; shape: number[]; offset: number }[] = [];
    const chunks: Float32Array[] = [];
    let offset = 0;
    const byTorch = new Map<string, tf.LayerVariable>();
    for (const layer of model.layers) {
      layer.weights.forEach((w, i) => {
        const name = torchName(layer.name, i, layer.getClassName());
        byTorch.set(name, w);
        if (name.endsWith('num_batches_tracked')) return;
        const data = w.read().dataSync() as Float32Array;
        meta.push({ torch: name, shape: w.shape as number[], offset });
        chunks.push(data);
        offset += data.length;
      });
    }
    fs.writeFileSync(path.join(dir, 'weights.json'), JSON.stringify(meta));
    fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.concat(chunks.map((c) => Buffer.from(c.buffer, c.byteOffset, c.byteLength))));
    const x = tf.randomNormal(shape, 0, 1, 'float32', 5) as tf.Tensor4D;
    const xData = x.dataSync() as Float32Array;
    fs.writeFileSync(path.join(dir, 'x.bin'), Buffer.from(xData.buffer, xData.byteOffset, xData.byteLength));
    const labels = [1, 4, 7, 9];
    const grads = ['conv1.weight', 'bn1.weight', 'layer1.0.conv1.weight', 'layer2.0.conv1.weight', 'layer2.0.downsample.0.weight', 'layer4.1.bn2.bias', 'fc.weight', 'fc.bias'];
    const r = spawnSync('/usr/bin/python3', [path.join(__dirname, 'fixtures', 'torchvision_resnet.py')],
      { input: JSON.stringify({ dir, shape, classes, labels, grads }), encoding: 'utf8', maxBuffer: 1 << 28 });
    if (r.status !== 0) throw new Error(`torchvision oracle failed (are python3-torch and python3-torchvision installed?): ${r.stderr || r.error}`);
    const want = JSON.parse(r.stdout) as { eval: number[]; train: number[]; grads: Record<string, number[]> };

    const evalLogits = (model.predict(x) as tf.Tensor).dataSync();
    assert.ok(relErr(evalLogits, want.eval) < 1e-4, `inference logits differ from torchvision's by ${relErr(evalLogits, want.eval)} (relative)`);
    const y = tf.oneHot(tf.tensor1d(labels, 'int32'), classes).toFloat() as tf.Tensor2D;
    const vars = grads.map((g) => byTorch.get(g)!.read() as tf.Variable);
    let trainLogits: Float32Array | undefined;
    const { value, grads: g } = tf.variableGrads(() => {
      const logits = model.apply(x, { training: true }) as tf.Tensor2D;
      trainLogits = logits.dataSync() as Float32Array;
      return crossEntropy(y, logits);
    }, vars);
    assert.ok(relErr(trainLogits!, want.train) < 1e-4, `training-mode logits differ from torchvision's by ${relErr(trainLogits!, want.train)}`);
    grads.forEach((name, i) => {
      const got = g[vars[i].name].dataSync();
      assert.ok(relErr(got, want.grads[name]) < 1e-3, `gradient of ${name} differs from torchvision's by ${relErr(got, want.grads[name])} (relative)`);
    });
    tf.dispose([x, y, value, ...Object.values(g)]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    model.dispose();
  }
});

test("resnet18's initial weights follow torchvision's scheme: He-normal fan-out convs (not truncated), norms at 1 and 0, nn.Linear's uniform classifier", () => {
  const model = createBackbone('resnet18', { inputShape: [64, 64, 1], classes: 6, width: 0.25, seed: 2 });
  try {
    for (const layer of model.layers) {
      const ws = layer.getWeights().map((w) => w.dataSync() as Float32Array);
      if (layer.name.endsWith('_conv')) {
        const [kh, kw, , out] = layer.getWeights()[0].shape;
        const k = ws[0];
        const want = Math.sqrt(2 / (kh * kw * out));
        const mean = k.reduce((a, b) => a + b, 0) / k.length;
        const sd = Math.sqrt(k.reduce((a, b) => a + (b - mean) ** 2, 0) / k.length);
        const tol = 4 / Math.sqrt(k.length) + 0.02;
        assert.ok(Math.abs(sd / want - 1) < tol, `${layer.name}: std ${sd.toFixed(4)}, torchvision's kaiming_normal_(fan_out) ${want.toFixed(4)}`);
        // A normal truncated at 2 std never exceeds 2.3x its actual std; a plain normal does with this many draws.
        if (k.length >= 9000) assert.ok(k.reduce((m, v) => Math.max(m, Math.abs(v)), 0) > 3 * sd, `${layer.name}: weights look truncated`);
      } else if (layer.getClassName() === 'CellabBatchNorm') {
        assert.ok(ws[0].every((v) => v === 1) && ws[1].every((v) => v === 0), `${layer.name}: gamma 1 and beta 0 (torchvision: zero_init_residual=False)`);
      } else if (layer.name === 'logits') {
        const bound = 1 / Math.sqrt(layer.getWeights()[0].shape[0]);
        for (const [i, w] of ws.entries()) {
          assert.ok(w.every((v) => Math.abs(v) <= bound), `logits ${i ? 'bias' : 'kernel'} within +-1/sqrt(fan_in)`);
          assert.ok(w.reduce((m, v) => Math.max(m, Math.abs(v)), 0) > 0.7 * bound, `logits ${i ? 'bias' : 'kernel'} spread over +-1/sqrt(fan_in) (uniform)`);
        }
      }
    }
  } finally {
    model.dispose();
  }
});
