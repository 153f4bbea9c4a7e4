// Layer helpers shared by the backbones: every layer gets a name (its stage
// first, `stem_`, `stage2_block1_conv1`, ... which is what freezing and weight
// transfer go by) and a weight initialiser seeded from (seed, layer name), so
// one seed fixes every backbone's initial weights. `src` names the layer's
// module in the published net (`layer1.0.conv1`): import/loader.ts loads
// torchvision/timm weights by it. Convolutions pad as PyTorch does
// (symmetric, explicit), not as TF's 'same' (which pads one more pixel
// bottom/right than top/left on a stride-2 conv over an even size).
import * as tf from '@tensorflow/tfjs';
import { seedFrom } from '../engine/random';
import type { ResolvedBackboneOptions } from './registry';
import { SeededDropout } from './layers/seeded-dropout';
import { LayerScale } from './layers/layer-scale';
import { LayerNorm } from './layers/layer-norm';
import { BatchNorm } from './layers/batch-norm';
import { Gelu } from './layers/gelu';
import { PlainConv2D } from './layers/plain-conv';
import { InputAdapter } from './layers/input-adapter';
import { setSourcePaths } from './import/loader';

export type T = tf.SymbolicTensor;
type Init = ReturnType<typeof tf.initializers.glorotUniform>;
export type Act = 'relu' | 'relu6' | 'swish' | 'gelu' | 'gelu-exact' | 'sigmoid' | 'linear';
export type DenseInit = 'glorot' | 'trunc' | 'torch';

export interface ConvArgs {
  filters: number;
  /** Square kernel, or [kh, kw]. */
  kernel: number | [number, number];
  stride?: number;
  bias?: boolean;
  /** 'same' (default): PyTorch's padding = (k - 1) / 2 on each side; 'valid': none; or explicit [ph, pw]. */
  padding?: 'same' | 'valid' | [number, number];
  /** Module path in the published net (import/loader.ts). */
  src?: string;
}

/** What PyTorch's Conv2d(padding=p) does: p zeros on every side (TF's 'same' only matches it at stride 1). */
function torchPadding(kernel: [number, number], stride: number, padding: ConvArgs['padding']): { pad: [number, number]; tf: 'same' | 'valid' } {
  if (padding === 'valid') return { pad: [0, 0], tf: 'valid' };
  const pad: [number, number] = Array.isArray(padding) ? padding : [(kernel[0] - 1) >> 1, (kernel[1] - 1) >> 1];
  // Stride 1 with an odd kernel and (k-1)/2 padding: TF's 'same' is the same thing, without a pad layer.
  if (stride === 1 && kernel[0] % 2 === 1 && kernel[1] % 2 === 1 && pad[0] === (kernel[0] - 1) / 2 && pad[1] === (kernel[1] - 1) / 2) return { pad: [0, 0], tf: 'same' };
  return { pad, tf: 'valid' };
}

export class LayerBuilder {
  private inputTensor?: T;
  private stemInput?: T;
  /** Our layer name -> module path in the published net. */
  readonly sources = new Map<string, string>();

  constructor(readonly o: ResolvedBackboneOptions) {}

  /** A channel count scaled by the width multiplier, rounded to a multiple of `divisor` (timm's make_divisible). */
  ch(reference: number, divisor = 4): number {
    const v = reference * this.o.width;
    const r = Math.max(divisor, Math.round(v / divisor) * divisor);
    return r < 0.9 * v ? r + divisor : r;
  }

  /** Record the published net's module path of a layer (import/loader.ts). */
  source(layerName: string, path: string | undefined): void {
    if (path !== undefined) this.sources.set(layerName, path);
  }

  /** The finished model, keeping the source paths recorded while building. */
  model(outputs: T, name: string): tf.LayersModel {
    const m = tf.model({ inputs: this.inputTensor!, outputs, name });
    setSourcePaths(m, this.sources);
    return m;
  }

  /** Zero padding as PyTorch's conv/pool `padding` (no layer when there is none). */
  pad(x: T, name: string, pad: [number, number] | [[number, number], [number, number]]): T {
    const p: [[number, number], [number, number]] = typeof pad[0] === 'number' ? [[pad[0], pad[0]], [pad[1] as number, pad[1] as number]] : pad as [[number, number], [number, number]];
    if (p.every(([a, b]) => a === 0 && b === 0)) return x;
    return tf.layers.zeroPadding2d({ name, padding: p }).apply(x) as T;
  }

  /** PyTorch's MaxPool2d(pool, stride, padding=(pool - 1) / 2) after a ReLU (zeros stand in for -inf). */
  maxPoolAfterRelu(x: T, name: string, pool: number, stride: number): T {
    return this.maxPool(x, name, { kernel: pool, stride, padding: (pool - 1) >> 1 });
  }

  /**
   * PyTorch's MaxPool2d(kernel, stride, padding, ceil_mode). Inputs are
   * non-negative wherever the nets pool after a ReLU, so zero padding equals
   * PyTorch's -inf padding; `ceil` adds the extra bottom/right row a window may
   * start in.
   */
  maxPool(x: T, name: string, a: { kernel: number; stride: number; padding?: number; ceil?: boolean }): T {
    const p = a.padding ?? 0;
    const [, h, w] = x.shape as number[];
    const extra = (n: number) => {
      if (!a.ceil) return 0;
      let out = Math.ceil((n + 2 * p - a.kernel) / a.stride) + 1;
      if ((out - 1) * a.stride >= n + p) out--;   // PyTorch: the last window must start inside the input or left padding
      return Math.max(0, (out - 1) * a.stride + a.kernel - (n + 2 * p));
    };
    x = this.pad(x, `${name}_pad`, [[p, p + extra(h)], [p, p + extra(w)]]);
    return tf.layers.maxPooling2d({ name, poolSize: a.kernel, strides: a.stride, padding: 'valid' }).apply(x) as T;
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
    if (this.o.zeroInit) return tf.initializers.zeros();
    return tf.initializers.randomNormal({ mean: 0, stddev: Math.sqrt(2 / Math.max(1, fanOut)), seed: this.seed(name) });
  }

  glorot(name: string): Init {
    if (this.o.zeroInit) return tf.initializers.zeros();
    return tf.initializers.glorotUniform({ seed: this.seed(name) });
  }

  truncNormal(name: string): Init {
    if (this.o.zeroInit) return tf.initializers.zeros();
    return tf.initializers.truncatedNormal({ stddev: 0.02, seed: this.seed(name) });
  }

  conv(x: T, name: string, a: ConvArgs): T {
    const kernel: [number, number] = typeof a.kernel === 'number' ? [a.kernel, a.kernel] : a.kernel;
    const stride = a.stride ?? 1;
    const { pad, tf: padding } = torchPadding(kernel, stride, a.padding ?? 'same');
    const first = x === this.stemInput;
    // The same padding on every side: inside the conv op (PlainConv2D's symmetricPad), no pad layer.
    const symmetricPad = pad[0] > 0 && pad[0] === pad[1] ? pad[0] : 0;
    if (!symmetricPad) x = this.pad(x, `${name}_pad`, pad);
    const args = {
      name, filters: a.filters, kernelSize: kernel, strides: stride, padding,
      useBias: a.bias ?? false, kernelInitializer: this.heInit(name, kernel[0] * kernel[1] * a.filters),
    };
    this.source(name, a.src);
    // The first convolution: no input gradient computed in training (layers/plain-conv.ts).
    return (first || symmetricPad ? new PlainConv2D({ ...args, symmetricPad }) : tf.layers.conv2d(args)).apply(x) as T;
  }

  depthwise(x: T, name: string, a: { kernel: number; stride?: number; bias?: boolean; src?: string }): T {
    const stride = a.stride ?? 1;
    const { pad, tf: padding } = torchPadding([a.kernel, a.kernel], stride, 'same');
    x = this.pad(x, `${name}_pad`, pad);
    this.source(name, a.src);
    return tf.layers.depthwiseConv2d({
      name, kernelSize: a.kernel, strides: stride, padding, useBias: a.bias ?? false,
      depthwiseInitializer: this.heInit(name, a.kernel * a.kernel),
    }).apply(x) as T;
  }

  /**
   * Batch norm with PyTorch's defaults (momentum 0.1 = 0.9 kept, eps 1e-5).
   * `zeroGamma` for the last norm of a residual branch (timm's zero_init_last):
   * each block starts as the identity, which keeps deep nets trainable at
   * tiny batches and resolutions.
   */
  bn(x: T, name: string, o: { zeroGamma?: boolean; eps?: number; momentum?: number; src?: string } = {}): T {
    this.source(name, o.src);
    return new BatchNorm({ name, momentum: o.momentum ?? 0.9, epsilon: o.eps ?? 1e-5, zeroGamma: o.zeroGamma }).apply(x) as T;
  }

  layerNorm(x: T, name: string, o: { eps?: number; src?: string } = {}): T {
    this.source(name, o.src);
    return new LayerNorm({ name, epsilon: o.eps ?? 1e-6 }).apply(x) as T;
  }

  /** 'gelu': the tanh approximation (fast on wasm); 'gelu-exact': the erf form PyTorch's nn.GELU() computes. */
  act(x: T, name: string, kind: Act): T {
    if (kind === 'linear') return x;
    if (kind === 'gelu' || kind === 'gelu-exact') return new Gelu({ name, approximate: kind === 'gelu' ? 'tanh' : 'none' }).apply(x) as T;
    return tf.layers.activation({ name, activation: kind }).apply(x) as T;
  }

  /** conv -> batch norm -> activation, named `${name}_conv`, `${name}_bn`, `${name}_act`; `src`: [conv, bn] module paths. */
  convBnAct(x: T, name: string, a: Omit<ConvArgs, 'src'> & { act?: Act; eps?: number; momentum?: number; src?: [string, string] }): T {
    x = this.conv(x, `${name}_conv`, { ...a, src: a.src?.[0] });
    x = this.bn(x, `${name}_bn`, { eps: a.eps, momentum: a.momentum, src: a.src?.[1] });
    return this.act(x, `${name}_act`, a.act ?? 'relu');
  }

  /**
   * A dense layer. Kernel init: `glorot` (Keras), `trunc` (N(0, 0.02) truncated,
   * timm's transformers) or `torch`: PyTorch's nn.Linear default,
   * kaiming_uniform(a = sqrt(5)) = U(+-1/sqrt(fan_in)), bias U(+-1/sqrt(fan_in))
   * too (torchvision's ResNets keep it for their classifier).
   */
  dense(x: T, name: string, units: number, o: { act?: Act; bias?: boolean; init?: DenseInit; src?: string } = {}): T {
    this.source(name, o.src);
    const bound = 1 / Math.sqrt(Math.max(1, x.shape[x.shape.length - 1] ?? 1));
    const torch = o.init === 'torch' && !this.o.zeroInit;
    const y = tf.layers.dense({
      name, units, useBias: o.bias ?? true,
      kernelInitializer: o.init === 'trunc' ? this.truncNormal(name)
        : torch ? tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: this.seed(name) }) : this.glorot(name),
      ...(torch ? { biasInitializer: tf.initializers.randomUniform({ minval: -bound, maxval: bound, seed: this.seed(`${name}/bias`) }) } : {}),
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

  /** `src`: the parameter's full key (torchvision's `features.1.0.layer_scale`, timm's `...gamma`). */
  layerScale(x: T, name: string, initValue = 1e-6, src?: string): T {
    this.source(name, src);
    return new LayerScale({ name, initValue }).apply(x) as T;
  }

  /** Squeeze-and-excitation: channel gates from pooled features (MobileNetV3/EfficientNet); `src`: the SE module (fc1, fc2 inside). */
  squeezeExcite(x: T, name: string, reduced: number, act: Act, src?: string, names: [string, string] = ['fc1', 'fc2']): T {
    const c = x.shape[x.shape.length - 1]!;
    let s = tf.layers.globalAveragePooling2d({ name: `${name}_pool` }).apply(x) as T;
    s = tf.layers.reshape({ name: `${name}_reshape`, targetShape: [1, 1, c] }).apply(s) as T;
    s = this.conv(s, `${name}_reduce`, { filters: Math.max(1, reduced), kernel: 1, bias: true, src: src && `${src}.${names[0]}` });
    s = this.act(s, `${name}_act`, act);
    s = this.conv(s, `${name}_expand`, { filters: c, kernel: 1, bias: true, src: src && `${src}.${names[1]}` });
    s = this.act(s, `${name}_gate`, 'sigmoid');
    return tf.layers.multiply({ name: `${name}_scale` }).apply([x, s]) as T;
  }

  /**
   * The classifier every backbone ends with: `x` is the pooled embedding
   * (its layer is named `features`), then dropout and the `logits` dense
   * layer (`src`: the published net's classifier, e.g. `fc`; `init: torch` as nn.Linear).
   */
  classifier(features: T, o: { init?: DenseInit; src?: string } = {}): T {
    const x = this.dropout(features, 'head_dropout', this.o.dropout);
    return this.dense(x, 'logits', this.o.classes, o);
  }

  /**
   * The model input, then what `inputAdapter` asks for before the stem:
   * normalisation (ImageNet mean/std of pretrained weights) and a gray image
   * repeated into the 3 channels an RGB stem expects.
   */
  input(): T {
    this.inputTensor = tf.input({ shape: this.o.inputShape, name: 'input' });
    let x = this.inputTensor;
    const a = this.o.inputAdapter;
    if (a && (a.mean || a.repeat)) x = new InputAdapter({ name: 'stem_input', mean: a.mean ?? null, std: a.std ?? null, repeat: a.repeat ?? 1 }).apply(x) as T;
    this.stemInput = x;
    return x;
  }
}

/** Global average pooling named `features` (the default embedding layer). */
export function poolFeatures(x: T, name = 'features'): T {
  return tf.layers.globalAveragePooling2d({ name }).apply(x) as T;
}
