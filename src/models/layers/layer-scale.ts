// Per-channel learned scale on a residual branch (ConvNeXt's "layer scale",
// gamma initialised small so each block starts close to the identity).
import * as tf from '@tensorflow/tfjs';

type LayerArgs = NonNullable<ConstructorParameters<typeof tf.layers.Layer>[0]>;

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
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    this.gamma = this.addWeight('gamma', [shape[shape.length - 1]!], 'float32', tf.initializers.constant({ value: this.initValue }));
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.mul(x, this.gamma.read());
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), initValue: this.initValue };
  }
}
tf.serialization.registerClass(LayerScale);
