// Per-channel learned scale on a residual branch (ConvNeXt's "layer scale",
// gamma initialised small so each block starts close to the identity).
import * as tf from '@tensorflow/tfjs';
import { singleInput, singleShape, type LayerArgs } from './common';

export interface LayerScaleArgs extends LayerArgs {
  initValue: number;
}

export class LayerScale extends tf.layers.Layer {
  static className = 'CellabLayerScale';
  readonly initValue: number;
  private gamma!: tf.LayerVariable;

  constructor(args: LayerScaleArgs) {
    super(args);
    this.initValue = args.initValue;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    this.gamma = this.addWeight('gamma', [shape[shape.length - 1]!], 'float32', tf.initializers.constant({ value: this.initValue }));
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = singleInput(inputs);
    return tf.mul(x, this.gamma.read());
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), initValue: this.initValue };
  }
}
tf.serialization.registerClass(LayerScale);
