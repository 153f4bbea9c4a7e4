// cellab's forward convolution on wasm (engine/conv-forward.ts, conv_forward in
// simd/kernels.c): Conv2D and FusedConv2D give the same bits as
// tfjs-backend-wasm's XNNPACK kernel they replace (float rounding with the
// relaxed-SIMD build's fused multiply-adds), for every padding, stride,
// dilation, channel count and activation the kernel takes, and hand the
// others (too few input channels, other activations) back to XNNPACK.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { TensorInfo } from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { simdKernels } from '../../src/engine/simd-kernels';
import { convForwardCalls, tfjsConvKernel } from '../../src/engine/conv-forward';

before(async () => { await initEngine({ backend: 'wasm', threads: 1, log: null }); });

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];
interface Case { label: string; x: [number, number, number, number]; f: [number, number, number, number]; strides: number; pad: Pad; dilations?: number }

const CASES: Case[] = [
  { label: '3x3 same, 16 -> 16', x: [2, 9, 9, 16], f: [3, 3, 16, 16], strides: 1, pad: 'same' },
  { label: '3x3 stride 2, odd width (a pixel pair with one pixel)', x: [3, 7, 7, 8], f: [3, 3, 8, 32], strides: 2, pad: 'same' },
  { label: '1x1 stride 2 (a downsample)', x: [2, 8, 8, 12], f: [1, 1, 12, 24], strides: 2, pad: 'valid' },
  { label: 'co % 16 = 4 (one vector in the last block)', x: [1, 6, 5, 4], f: [3, 3, 4, 20], strides: 1, pad: 'same' },
  { label: 'co % 16 = 8, 12', x: [2, 5, 5, 4], f: [2, 2, 4, 12], strides: 1, pad: 'valid' },
  { label: 'explicit asymmetric padding', x: [1, 6, 7, 8], f: [3, 3, 8, 8], strides: 1, pad: [[0, 0], [2, 0], [0, 1], [0, 0]] },
  { label: 'dilation 2', x: [2, 9, 9, 8], f: [3, 3, 8, 16], strides: 1, pad: 'same', dilations: 2 },
  { label: 'kernel larger than the map (resnet18\'s last stage at 64 px)', x: [4, 2, 2, 16], f: [3, 3, 16, 16], strides: 1, pad: 'same' },
  { label: 'stride 3, 5x5', x: [1, 11, 11, 4], f: [5, 5, 4, 8], strides: 3, pad: 'same' },
  { label: 'a grayscale 7x7 stride-2 first layer (tap rows as one run)', x: [2, 13, 12, 1], f: [7, 7, 1, 16], strides: 2, pad: 'same' },
  { label: 'valid padding, odd output width (the lone last pixel inside the map)', x: [1, 5, 7, 4], f: [3, 3, 4, 8], strides: 1, pad: 'valid' },
  { label: 'an RGB 3x3 first layer', x: [2, 7, 7, 3], f: [3, 3, 3, 8], strides: 1, pad: 'valid' },
];

function rand(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

/** XNNPACK's kernel on the same inputs (what tfjs-backend-wasm would have run). */
function xnnpack(name: 'Conv2D' | 'FusedConv2D', inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): tf.Tensor {
  const k = tfjsConvKernel(name);
  assert.ok(k, `${name}: cellab's kernel did not replace tfjs-backend-wasm's`);
  const out = k({ inputs, attrs: attrs as never, backend: tf.backend() }) as TensorInfo;
  return tf.engine().makeTensorFromTensorInfo(out);
}

function sameBits(got: tf.Tensor, want: tf.Tensor, label: string): void {
  assert.deepEqual(got.shape, want.shape, `${label}: shape`);
  const a = got.dataSync(), b = want.dataSync();
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  // The relaxed-SIMD build (Node 22+) fuses multiply-adds, which XNNPACK's plain SIMD build does not: rounding differs there.
  if (simdKernels()?.relaxed) {
    let scale = 0;
    for (const v of b) scale = Math.max(scale, Math.abs(v));
    assert.ok(worst <= 1e-5 * scale, `${label}: differs from XNNPACK by up to ${worst} (relaxed SIMD, scale ${scale})`);
  } else {
    assert.equal(worst, 0, `${label}: differs from XNNPACK by up to ${worst}`);
  }
  assert.ok(a.some((v) => v !== 0), `${label}: all zeros`);
}

test('the SIMD kernels load (the forward convolution runs in them)', () => {
  assert.ok(simdKernels(), 'simdKernels() is null: lib/cellab-kernels.wasm did not load');
});

test('Conv2D gives XNNPACK\'s bits for every padding, stride, dilation and channel count it takes', () => {
  const before = convForwardCalls();
  CASES.forEach((c, i) => {
    tf.tidy(() => {
      const x = rand(c.x, i), f = rand(c.f, 100 + i);
      const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dilations: c.dilations ?? 1, dimRoundingMode: undefined };
      const got = tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.strides, c.pad as never, 'NHWC', c.dilations ?? 1);
      sameBits(got, xnnpack('Conv2D', { x, filter: f }, attrs), c.label);
    });
  });
  const after = convForwardCalls();
  assert.equal(after.simd - before.simd, CASES.length, 'every case ran in cellab\'s kernel');
  assert.equal(after.tfjs, before.tfjs, 'no case went to XNNPACK');
});

test('FusedConv2D (bias + linear / ReLU / ReLU6) gives XNNPACK\'s bits', () => {
  for (const activation of ['linear', 'relu', 'relu6'] as const) {
    CASES.forEach((c, i) => {
      tf.tidy(() => {
        // Scaled so that ReLU6 clips some values.
        const x = tf.mul(rand(c.x, i), 3), f = rand(c.f, 100 + i), bias = rand([c.f[3]], 200 + i);
        const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dilations: c.dilations ?? 1, dimRoundingMode: undefined, activation, leakyreluAlpha: 0.2 };
        const got = tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: c.strides, pad: c.pad as never, dilations: c.dilations ?? 1, bias, activation });
        sameBits(got, xnnpack('FusedConv2D', { x, filter: f, bias }, attrs), `${c.label}, ${activation}`);
        if (activation === 'relu6') assert.ok(got.dataSync().some((v) => v === 6), `${c.label}: ReLU6 never clipped`);
      });
    });
  }
});

test('what the kernel does not take goes to XNNPACK: leaky ReLU, ELU, co not a multiple of 4', () => {
  const before = convForwardCalls();
  tf.tidy(() => {
    const a = { strides: 2, pad: 'same', dataFormat: 'NHWC', dilations: 1, dimRoundingMode: undefined };
    const x = rand([2, 6, 6, 8], 3), f = rand([3, 3, 8, 8], 4), bias = rand([8], 5);
    const elu = tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 1, pad: 'same', bias, activation: 'elu' });
    sameBits(elu, xnnpack('FusedConv2D', { x, filter: f, bias }, { ...a, strides: 1, activation: 'elu' }), 'ELU');
    const leaky = tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as tf.Tensor4D, strides: 1, pad: 'same', bias, activation: 'leakyrelu', leakyreluAlpha: 0.1 });
    sameBits(leaky, xnnpack('FusedConv2D', { x, filter: f, bias }, { ...a, strides: 1, activation: 'leakyrelu', leakyreluAlpha: 0.1 }), 'leaky ReLU');
    const f6 = rand([3, 3, 8, 6], 6);
    sameBits(tf.conv2d(x as tf.Tensor4D, f6 as tf.Tensor4D, 1, 'same'), xnnpack('Conv2D', { x, filter: f6 }, { ...a, strides: 1 }), '6 output channels');
  });
  const after = convForwardCalls();
  assert.equal(after.tfjs - before.tfjs, 3, 'the three cases went to XNNPACK');
  assert.equal(after.simd, before.simd);
});

test('training through the kernel: gradients of a conv + ReLU match finite differences', () => {
  const x = rand([2, 5, 5, 4], 7), f = tf.variable(rand([3, 3, 4, 8], 8)), bias = tf.variable(rand([8], 9));
  const loss = () => tf.sum(tf.square(tf.fused.conv2d({ x: x as tf.Tensor4D, filter: f as unknown as tf.Tensor4D, strides: 1, pad: 'same', bias, activation: 'relu' }))) as tf.Scalar;
  const before = convForwardCalls().simd;
  const { grads } = tf.variableGrads(loss, [f, bias]);
  assert.ok(convForwardCalls().simd > before, 'the forward pass ran in cellab\'s kernel');
  const g = grads[f.name].dataSync();
  const base = f.dataSync().slice();
  for (const k of [0, 37, 143, 287]) {
    const eps = 1e-2;
    const at = (d: number) => { const v = base.slice(); v[k] += d; f.assign(tf.tensor(v, f.shape)); return loss().dataSync()[0]; };
    const fd = (at(eps) - at(-eps)) / (2 * eps);
    assert.ok(Math.abs(fd - g[k]) <= 2e-2 * (1 + Math.abs(fd)), `dW[${k}]: ${g[k]} vs finite difference ${fd}`);
  }
  f.assign(tf.tensor(base, f.shape));
  tf.dispose([x, f, bias, ...Object.values(grads)]);
});
