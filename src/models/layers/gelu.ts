// GELU. `approximate: 'tanh'` (the default, PyTorch's GELU(approximate='tanh'))
// is computed as x * sigmoid(2 * sqrt(2/pi) * (x + 0.044715 x^3)), which
// equals 0.5 x (1 + tanh(...)): on wasm, Erf and Tanh are scalar loops and the
// exact form cost 3x this on the ConvNeXt/ViT MLPs; max deviation from the erf
// form is ~5e-4. `approximate: 'none'` is the erf form of nn.GELU(), which the
// published ConvNeXt/ViT weights were trained with (parity needs it).
import * as tf from '@tensorflow/tfjs';
import { singleInput, type LayerArgs } from './common';

const K = 2 * Math.sqrt(2 / Math.PI);

export function geluTanh(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), K))));
}

export function geluExact(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1)));
}

export interface GeluArgs extends LayerArgs {
  approximate?: 'tanh' | 'none';
}

export class Gelu extends tf.layers.Layer {
  static className = 'CellabGelu';
  readonly approximate: 'tanh' | 'none';

  constructor(args: GeluArgs = {}) {
    super(args);
    this.approximate = args.approximate ?? 'tanh';
    this.supportsMasking = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = singleInput(inputs);
    return this.approximate === 'none' ? geluExact(x) : geluTanh(x);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), approximate: this.approximate };
  }
}
tf.serialization.registerClass(Gelu);
