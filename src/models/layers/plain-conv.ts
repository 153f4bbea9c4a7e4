// tf.layers.conv2d on tfjs' plain conv op, for two cases where the fused conv
// op tf.layers.conv2d runs is the slower one in training:
// - a network's first convolution: the fused op's gradient (a customGrad)
//   always computes the input gradient too, which on the first layer goes
//   nowhere (the input is data): 14 ms of a 166 ms ResNet-18 step on wasm. The
//   plain op's registered gradient gives one function per input, and autodiff
//   calls only those on a path to a weight;
// - a convolution with a bias and a ReLU: under autodiff tfjs un-fuses that
//   into conv, add and relu (and four kernels back); here bias + ReLU is one
//   op (engine/bias-relu.ts).
// Same weights, names and shapes as tf.layers.conv2d (checkpoints and
// transfer match).
import * as tf from '@tensorflow/tfjs';
import { singleInput } from './common';
import { biasRelu } from '../../engine/bias-relu';

type Conv2DArgs = Parameters<typeof tf.layers.conv2d>[0];
type Conv2DLayerClass = new (args: Conv2DArgs) => tf.layers.Layer;

/** tfjs-layers' Conv2D class (it is not exported by name). */
const Conv2D = Object.getPrototypeOf(tf.layers.conv2d({ filters: 1, kernelSize: 1 })).constructor as Conv2DLayerClass;

interface ConvState {
  kernel: { read(): tf.Tensor };
  bias: { read(): tf.Tensor } | null;
  strides: [number, number];
  padding: 'same' | 'valid';
  dilationRate: [number, number];
  dataFormat: 'channelsLast' | 'channelsFirst';
  activation: { apply(t: tf.Tensor): tf.Tensor; getClassName(): string };
}

export class PlainConv2D extends Conv2D {
  static className = 'CellabPlainConv2D';

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const c = this as unknown as ConvState;
    if (c.dataFormat !== 'channelsLast') throw new Error(`${this.name}: PlainConv2D supports channelsLast only`);
    return tf.tidy(() => {
      const x = singleInput(inputs) as tf.Tensor4D;
      const y: tf.Tensor = tf.conv2d(x, c.kernel.read() as tf.Tensor4D, c.strides, c.padding, 'NHWC', c.dilationRate);
      if (c.bias && c.activation.getClassName() === 'relu') return biasRelu(y, c.bias.read() as tf.Tensor1D);
      return c.activation.apply(c.bias ? tf.add(y, c.bias.read()) : y);
    });
  }
}
tf.serialization.registerClass(PlainConv2D as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
