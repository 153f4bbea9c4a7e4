// A Conv2D layer for a network's first convolution. tf.layers.conv2d runs
// tfjs-core's fused conv op, whose gradient (a customGrad) always computes the
// input gradient as well; on the first layer that gradient goes nowhere (the
// input is data) and cost 14 ms of a 166 ms ResNet-18 step on wasm. Here the
// plain conv2d op runs instead: its registered gradient gives one function per
// input, and autodiff calls only those on a path to a weight. Same weights,
// names and shapes as tf.layers.conv2d (checkpoints and transfer match).
import * as tf from '@tensorflow/tfjs';
import { singleInput } from './common';

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
  activation: { apply(t: tf.Tensor): tf.Tensor };
}

export class InputConv2D extends Conv2D {
  static className = 'CellabInputConv2D';

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const c = this as unknown as ConvState;
    if (c.dataFormat !== 'channelsLast') throw new Error(`${this.name}: InputConv2D supports channelsLast only`);
    return tf.tidy(() => {
      const x = singleInput(inputs) as tf.Tensor4D;
      let y: tf.Tensor = tf.conv2d(x, c.kernel.read() as tf.Tensor4D, c.strides, c.padding, 'NHWC', c.dilationRate);
      if (c.bias) y = tf.add(y, c.bias.read());
      return c.activation.apply(y);
    });
  }
}
tf.serialization.registerClass(InputConv2D as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
