// Layer normalisation over the last axis. tf.layers.layerNormalization tiles
// the mean, variance, gamma and beta to the full input shape (a workaround for
// old gradient limits) and wasm's Tile made ConvNeXt/ViT ~10x slower; this
// one broadcasts. Weights are named like Keras' (gamma, beta).
import * as tf from '@tensorflow/tfjs';
import { singleInput, singleShape, type LayerArgs } from './common';

export interface LayerNormArgs extends LayerArgs {
  epsilon?: number;
}

export class LayerNorm extends tf.layers.Layer {
  static className = 'CellabLayerNorm';
  readonly epsilon: number;
  private gamma!: tf.LayerVariable;
  private beta!: tf.LayerVariable;

  constructor(args: LayerNormArgs) {
    super(args);
    this.epsilon = args.epsilon ?? 1e-6;
    this.supportsMasking = true;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    const c = shape[shape.length - 1];
    if (c == null) throw new Error(`LayerNorm '${this.name}' needs a known last dimension, got [${shape.join(', ')}]`);
    this.gamma = this.addWeight('gamma', [c], 'float32', tf.initializers.ones());
    this.beta = this.addWeight('beta', [c], 'float32', tf.initializers.zeros());
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = singleInput(inputs);
    return tf.tidy(() => {
      const { mean, variance } = tf.moments(x, -1, true);
      const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, this.epsilon)));
      return tf.add(tf.mul(normed, this.gamma.read()), this.beta.read());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(LayerNorm);
