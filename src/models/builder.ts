// Layer helpers shared by the backbones: every layer gets a name (its stage
// first, `stem_`, `stage2_block1_conv1`, ... which is what freezing and weight
// transfer go by) and a weight initialiser seeded from (seed, layer name), so
// one seed fixes every backbone's initial weights.
import * as tf from '@tensorflow/tfjs';
import { seedFrom } from '../engine/random';
import type { ResolvedBackboneOptions } from './registry';
import { SeededDropout } from './layers/seeded-dropout';
import { LayerScale } from './layers/layer-scale';
import { LayerNorm } from './layers/layer-norm';
import { BatchNorm } from './layers/batch-norm';
import { Gelu } from './layers/gelu';
import { PlainConv2D } from './layers/plain-conv';

export type T = tf.SymbolicTensor;
type Init = ReturnType<typeof tf.initializers.glorotUniform>;
export type Act = 'relu' | 'relu6' | 'swish' | 'gelu' | 'sigmoid' | 'linear';
export type DenseInit = 'glorot' | 'trunc' | 'torch';

export interface ConvArgs {
  filters: number;
  kernel: number;
  stride?: number;
  bias?: boolean;
  padding?: 'same' | 'valid';
}

export class LayerBuilder {
  private inputTensor?: T;

  constructor(readonly o: ResolvedBackboneOptions) {}

  /** A channel count scaled by the width multiplier, rounded to a multiple of `divisor` (timm's make_divisible). */
  ch(reference: number, divisor = 4): number {
    const v = reference * this.o.width;
    const r = Math.max(divisor, Math.round(v / divisor) * divisor);
    return r < 0.9 * v ? r + divisor : r;
  }

  seed(name: string): number {
    return seedFrom(this.o.seed, name);
  }

  /**
   * He (fan-out) init for convolutions followed by ReLU-like activations, as
   * timm/torchvision (kaiming_normal_, mode fan_out): a plain normal with std
   * sqrt(2 / fan_out), fan_out = kernel area x output channels (per input
   * channel for a depthwise kernel). Not tf's varianceScaling 'normal', which
   * truncates at 2 std and so starts with 12% smaller weights.
   */
  heInit(name: string, fanOut: number): Init {
    return tf.initializers.randomNormal({ mean: 0, stddev: Math.sqrt(2 / Math.max(1, fanOut)), seed: this.seed(name) });
  }

  glorot(name: string): Init {
    return tf.initializers.glorotUniform({ seed: this.seed(name) });
  }

  truncNormal(name: string): Init {
    return tf.initializers.truncatedNormal({ stddev: 0.02, seed: this.seed(name) });
  }

  conv(x: T, name: string, a: ConvArgs): T {
    const stride = a.stride ?? 1, padding = a.padding ?? 'same';
    // Strided odd kernels pad (k - 1) / 2 on every side, as PyTorch (layers/plain-conv.ts).
    const symmetricPad = padding === 'same' && stride > 1 && a.kernel > 1 && a.kernel % 2 === 1 ? (a.kernel - 1) / 2 : 0;
    const args = {
      name, filters: a.filters, kernelSize: a.kernel, strides: stride, padding: symmetricPad ? 'valid' as const : padding,
      useBias: a.bias ?? false, kernelInitializer: this.heInit(name, a.kernel * a.kernel * a.filters),
    };
    // The first convolution: no input gradient computed in training (layers/plain-conv.ts).
    return (x === this.inputTensor || symmetricPad ? new PlainConv2D({ ...args, symmetricPad }) : tf.layers.conv2d(args)).apply(x) as T;
  }

  depthwise(x: T, name: string, a: { kernel: number; stride?: number; bias?: boolean }): T {
    return tf.layers.depthwiseConv2d({
      name, kernelSize: a.kernel, strides: a.stride ?? 1, padding: 'same', useBias: a.bias ?? false,
      depthwiseInitializer: this.heInit(name, a.kernel * a.kernel),
    }).apply(x) as T;
  }

  /**
   * Max pooling padded by (pool - 1) / 2 on every side, as PyTorch's
   * MaxPool2d(pool, stride, padding). Zeros stand in for PyTorch's -inf:
   * the input follows a ReLU, so no window's maximum changes.
   */
  maxPoolAfterRelu(x: T, name: string, pool: number, stride: number): T {
    const p = (pool - 1) >> 1;
    const padded = p ? tf.layers.zeroPadding2d({ name: `${name}_pad`, padding: p }).apply(x) as T : x;
    return tf.layers.maxPooling2d({ name, poolSize: pool, strides: stride, padding: 'valid' }).apply(padded) as T;
  }

  /**
   * Batch norm with PyTorch's defaults (momentum 0.1 = 0.9 kept, eps 1e-5).
   * `zeroGamma` for the last norm of a residual branch (timm's zero_init_last):
   * each block starts as the identity, which keeps deep nets trainable at
   * tiny batches and resolutions.
   */
  bn(x: T, name: string, o: { zeroGamma?: boolean } = {}): T {
    return new BatchNorm({ name, momentum: 0.9, epsilon: 1e-5, zeroGamma: o.zeroGamma }).apply(x) as T;
  }

  layerNorm(x: T, name: string): T {
    return new LayerNorm({ name, epsilon: 1e-6 }).apply(x) as T;
  }

  act(x: T, name: string, kind: Act): T {
    if (kind === 'linear') return x;
    if (kind === 'gelu') return new Gelu({ name }).apply(x) as T;
    return tf.layers.activation({ name, activation: kind }).apply(x) as T;
  }

  /** conv -> batch norm -> activation, named `${name}_conv`, `${name}_bn`, `${name}_act`. */
  convBnAct(x: T, name: string, a: ConvArgs & { act?: Act }): T {
    x = this.conv(x, `${name}_conv`, a);
    x = this.bn(x, `${name}_bn`);
    return this.act(x, `${name}_act`, a.act ?? 'relu');
  }

  /**
   * A dense layer. Kernel init: `glorot` (Keras), `trunc` (N(0, 0.02) truncated,
   * timm's transformers) or `torch`: PyTorch's nn.Linear default,
   * kaiming_uniform(a = sqrt(5)) = U(+-1/sqrt(fan_in)), bias U(+-1/sqrt(fan_in))
   * too (torchvision's ResNets keep it for their classifier).
   */
  dense(x: T, name: string, units: number, o: { act?: Act; bias?: boolean; init?: DenseInit } = {}): T {
    const bound = 1 / Math.sqrt(Math.max(1, x.shape[x.shape.length - 1] ?? 1));
    const y = tf.layers.dense({
      name, units, useBias: o.bias ?? true,
      kernelInitializer: o.init === 'trunc' ? this.truncNormal(name)
        : o.init === 'torch' ? tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: this.seed(name) }) : this.glorot(name),
      ...(o.init === 'torch' ? { biasInitializer: tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: this.seed(`${name}/bias`) }) } : {}),
    }).apply(x) as T;
    return this.act(y, `${name}_act`, o.act ?? 'linear');
  }

  add(xs: T[], name: string): T {
    return tf.layers.add({ name }).apply(xs) as T;
  }

  dropout(x: T, name: string, rate: number): T {
    if (rate <= 0) return x;
    return new SeededDropout({ name, rate, seed: this.seed(name) }).apply(x) as T;
  }

  layerScale(x: T, name: string, initValue = 1e-6): T {
    return new LayerScale({ name, initValue }).apply(x) as T;
  }

  /** Squeeze-and-excitation: channel gates from pooled features (MobileNetV3/EfficientNet). */
  squeezeExcite(x: T, name: string, reduced: number, act: Act): T {
    const c = x.shape[x.shape.length - 1]!;
    let s = tf.layers.globalAveragePooling2d({ name: `${name}_pool` }).apply(x) as T;
    s = tf.layers.reshape({ name: `${name}_reshape`, targetShape: [1, 1, c] }).apply(s) as T;
    s = this.conv(s, `${name}_reduce`, { filters: Math.max(1, reduced), kernel: 1, bias: true });
    s = this.act(s, `${name}_act`, act);
    s = this.conv(s, `${name}_expand`, { filters: c, kernel: 1, bias: true });
    s = this.act(s, `${name}_gate`, 'sigmoid');
    return tf.layers.multiply({ name: `${name}_scale` }).apply([x, s]) as T;
  }

  /**
   * The classifier every backbone ends with: `x` is the pooled embedding
   * (its layer is named `features`), then dropout and the `logits` dense layer.
   */
  classifier(features: T, o: { init?: DenseInit } = {}): T {
    const x = this.dropout(features, 'head_dropout', this.o.dropout);
    return this.dense(x, 'logits', this.o.classes, o);
  }

  input(): T {
    this.inputTensor = tf.input({ shape: this.o.inputShape, name: 'input' });
    return this.inputTensor;
  }
}

/** Global average pooling named `features` (the default embedding layer). */
export function poolFeatures(x: T, name = 'features'): T {
  return tf.layers.globalAveragePooling2d({ name }).apply(x) as T;
}
