// Forward convolutions on wasm through cellab's SIMD kernel (conv_forward in
// simd/kernels.c) instead of XNNPACK's, for Conv2D and FusedConv2D (bias +
// ReLU/ReLU6) in NHWC with a multiple of 4 output channels; everything else
// goes to tfjs-backend-wasm's own kernel. Why: measured per layer of resnet18
// (width 0.25, 64 px, batch 32, one thread), the kernel runs at 38-69 GFLOP/s
// where XNNPACK's runs at 17-36 (1.25-2x; the 1-channel 7x7 first layer 1.75x,
// resnet18's width-1 layers at 224 px 1.16-1.18x), it reads the filter as stored where XNNPACK re-packs a filter
// whenever its storage changes (after every training step: ~0.8 ms for a
// 128x128 3x3 filter), and it is cut over the kernel pool's threads. It sums
// in XNNPACK's order (bias, then taps, then input channels, no FMA in the
// plain build), so outputs are the same bits. The gradients are unchanged
// (tfjs' Conv2D gradient calls the backprop kernels of wasm-kernels.ts).
import * as tf from '@tensorflow/tfjs';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs';
import { wasmKernelOverride } from './kernel-override';
import { pair, type ConvAttrs, type WasmHeapBackend } from './kernel-util';
import { simdKernels } from './simd-kernels';

type FusedAttrs = ConvAttrs & { activation?: string };

/** The kernel's activation code, or null when it has none for `activation`. */
function activationCode(activation: string | undefined): 0 | 1 | 2 | null {
  if (!activation || activation === 'linear') return 0;
  if (activation === 'relu') return 1;
  if (activation === 'relu6') return 2;
  return null;
}

/** Runs the SIMD kernel when it applies; null means: use tfjs' own kernel. */
function simdConv(x: TensorInfo, filter: TensorInfo, bias: TensorInfo | undefined, attrs: FusedAttrs, backend: unknown): TensorInfo | null {
  const simd = simdKernels();
  const act = activationCode(attrs.activation);
  if (!simd || act === null || x.dtype !== 'float32' || (attrs.dataFormat && attrs.dataFormat !== 'NHWC')) return null;
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number],
    attrs.strides, pair(attrs.dilations), attrs.pad as never, attrs.dimRoundingMode, false, 'channelsLast');
  if (info.outChannels % 4 !== 0) return null;
  // A bias other than one value per output channel (a broadcast scalar) goes to tfjs.
  if (bias && bias.shape.reduce((a, d) => a * d, 1) !== info.outChannels) return null;
  const heap = backend as unknown as WasmHeapBackend;
  const out = heap.makeOutput([info.batchSize, info.outHeight, info.outWidth, info.outChannels], 'float32');
  simd.convForward(heap.typedArrayFromHeap(x), heap.typedArrayFromHeap(filter), bias ? heap.typedArrayFromHeap(bias) : null, info, act,
    heap.typedArrayFromHeap(out));
  return out;
}

const overrides = {
  Conv2D: wasmKernelOverride('Conv2D', ({ inputs, backend, attrs }) =>
    simdConv(inputs.x as TensorInfo, inputs.filter as TensorInfo, undefined, attrs as unknown as FusedAttrs, backend)),
  FusedConv2D: wasmKernelOverride('FusedConv2D', ({ inputs, backend, attrs }) =>
    simdConv(inputs.x as TensorInfo, inputs.filter as TensorInfo, (inputs.bias as TensorInfo | undefined) ?? undefined, attrs as unknown as FusedAttrs, backend)),
};

/** tfjs-backend-wasm's own kernel `name` once ours replaced it: for tests comparing the two. */
export function tfjsConvKernel(name: 'Conv2D' | 'FusedConv2D'): KernelFunc | undefined {
  return overrides[name].original();
}

/** Convolutions run by cellab's kernel and handed to tfjs' so far (tests, profiling). */
export function convForwardCalls(): { simd: number; tfjs: number } {
  const a = overrides.Conv2D.calls(), b = overrides.FusedConv2D.calls();
  return { simd: a.own + b.own, tfjs: a.tfjs + b.tfjs };
}

/** Put cellab's forward convolutions in front of tfjs-backend-wasm's (which stay the fallback). Idempotent. */
export function registerConvForwardKernels(): string[] {
  return Object.values(overrides).filter((o) => o.register()).map((o) => o.name);
}
