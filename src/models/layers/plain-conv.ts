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
// - a strided convolution padded as PyTorch pads, (k - 1) / 2 on every side
//   (`symmetricPad`): TF's 'same' pads 0 before and 1 after at stride 2 on an
//   even input, which samples one pixel off PyTorch's grid (and off the
//   grid of a block's strided 1x1 shortcut).
// Same weights, names and shapes as tf.layers.conv2d (checkpoints and
// transfer match).
import * as tf from '@tensorflow/tfjs';
import { singleInput } from './common';
import { biasRelu } from '../../engine/bias-relu';

type Conv2DArgs = Parameters<typeof tf.layers.conv2d>[0];
type Conv2DLayerClass = new (args: Conv2DArgs) => tf.layers.Layer;

export type PlainConv2DArgs = Conv2DArgs & {
  /** Zero padding on every side (with padding 'valid'), as PyTorch's Conv2d(padding=p); 0: none. */
  symmetricPad?: number;
};

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
  readonly symmetricPad: number;

  constructor(args: PlainConv2DArgs) {
    const { symmetricPad = 0, ...rest } = args;
    if (symmetricPad && rest.padding !== 'valid') throw new Error(`${rest.name ?? 'PlainConv2D'}: symmetricPad needs padding 'valid'`);
    super(rest);
    this.symmetricPad = symmetricPad;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const p = this.symmetricPad;
    if (!p) return super.computeOutputShape(inputShape);
    const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    return super.computeOutputShape([s[0], s[1] == null ? null : s[1] + 2 * p, s[2] == null ? null : s[2] + 2 * p, s[3]]);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const c = this as unknown as ConvState;
    if (c.dataFormat !== 'channelsLast') throw new Error(`${this.name}: PlainConv2D supports channelsLast only`);
    return tf.tidy(() => {
      const x = singleInput(inputs) as tf.Tensor4D;
      const pad = this.symmetricPad ? this.symmetricPad : c.padding;
      const y: tf.Tensor = tf.conv2d(x, c.kernel.read() as tf.Tensor4D, c.strides, pad, 'NHWC', c.dilationRate);
      if (c.bias && c.activation.getClassName() === 'relu') return biasRelu(y, c.bias.read() as tf.Tensor1D);
      return c.activation.apply(c.bias ? tf.add(y, c.bias.read()) : y);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), symmetricPad: this.symmetricPad };
  }
}
tf.serialization.registerClass(PlainConv2D as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>);
