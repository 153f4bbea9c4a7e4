// GELU, tanh approximation (PyTorch's GELU(approximate='tanh')), computed as
// x * sigmoid(2 * sqrt(2/pi) * (x + 0.044715 x^3)), which equals
// 0.5 x (1 + tanh(...)). On wasm, Erf and Tanh are scalar loops: the exact
// 'gelu' activation cost 3x this on the ConvNeXt/ViT MLPs. Max deviation from
// the erf form is ~5e-4.
import * as tf from '@tensorflow/tfjs';
import { singleInput, type LayerArgs } from './common';

const K = 2 * Math.sqrt(2 / Math.PI);

export function geluTanh(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), K))));
}

export class Gelu extends tf.layers.Layer {
  static className = 'CellabGelu';

  constructor(args: LayerArgs = {}) {
    super(args);
    this.supportsMasking = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return geluTanh(singleInput(inputs));
  }
}
tf.serialization.registerClass(Gelu);
