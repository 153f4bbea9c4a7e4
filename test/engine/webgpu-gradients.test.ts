// Whole training steps on webgpu against the cpu backend: one backbone of each
// family (plain CNN, ResNet, inverted residuals with depthwise convs,
// squeeze-excitation with swish, ConvNeXt's LayerNorm and GELU, CoAtNet's
// relative attention, ViT), forward in training mode, cross-entropy, the
// gradient of every trainable weight: relative error <= 1e-4 over all of them.
//
// The deep BatchNorm nets (resnet50, inception-v3, the larger EfficientNets)
// are checked kernel by kernel in webgpu-kernels.test.ts instead: end to end,
// float32 rounding alone moves their gradients by more than 1e-4 at these
// sizes (cpu and wasm differ by 6.7e-2 on resnet50).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { createBackbone } from '../../src/models/index';
import { crossEntropy } from '../../src/train/losses';
import { webgpuSkip } from './webgpu-adapter';

const FAMILIES = ['small-cnn', 'resnet18', 'mobilenetv2', 'efficientnet-b0', 'convnext-atto', 'coatnet-0', 'vit-tiny'];
const B = 8, SIZE = 32;

/** Loss and gradients (by weight name) of one training step on `backend`, weights from the same seed. */
async function trainingStep(backend: string, name: string): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
  await tf.setBackend(backend);
  const model = createBackbone(name, { inputShape: [SIZE, SIZE, 3], classes: 3, width: 0.125, seed: 3, dropout: 0.2 });
  const x = tf.randomNormal([B, SIZE, SIZE, 3], 0, 1, 'float32', 7);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: B }, (_, i) => i % 3), 'int32'), 3).toFloat() as tf.Tensor2D;
  const weights = model.trainableWeights;
  const { value, grads } = tf.variableGrads(() => crossEntropy(y, model.apply(x, { training: true }) as tf.Tensor2D), weights.map((w) => w.read() as tf.Variable));
  const out = new Map<string, Float32Array>();
  for (const w of weights) out.set(w.originalName, await grads[(w.read() as tf.Variable).name].data() as Float32Array);
  const loss = (await value.data())[0];
  tf.dispose([x, y, value, ...Object.values(grads)]);
  model.dispose();
  return { loss, grads: out };
}

test('a training step of each backbone family on webgpu equals cpu\'s: loss and every weight\'s gradient (rel. error <= 1e-4)', { skip: webgpuSkip() }, async () => {
  await initEngine({ backend: 'webgpu', log: null });
  const report: string[] = [];
  for (const name of FAMILIES) {
    const cpu = await trainingStep('cpu', name);
    const gpu = await trainingStep('webgpu', name);
    assert.ok(Math.abs(gpu.loss - cpu.loss) <= 1e-4 * Math.abs(cpu.loss), `${name}: loss ${gpu.loss} vs ${cpu.loss}`);
    assert.deepEqual([...gpu.grads.keys()], [...cpu.grads.keys()]);
    let d = 0, n = 0;
    for (const [k, want] of cpu.grads) {
      const got = gpu.grads.get(k)!;
      for (let i = 0; i < want.length; i++) { d += (got[i] - want[i]) ** 2; n += want[i] ** 2; }
    }
    const rel = Math.sqrt(d / n);
    report.push(`${name} ${rel.toExponential(2)}`);
    assert.ok(n > 0 && rel <= 1e-4, `${name}: gradients differ by ${rel.toExponential(2)} (all: ${report.join(', ')})`);
  }
  await tf.setBackend('webgpu');
});
