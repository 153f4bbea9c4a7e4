// Learned absolute position embedding added to a token sequence [B, N, D] (ViT).
import * as tf from '@tensorflow/tfjs';
import { singleInput, singleShape, type LayerArgs } from './common';

export interface PositionEmbeddingArgs extends LayerArgs {
  seed: number;
}

export class PositionEmbedding extends tf.layers.Layer {
  static className = 'CellabPositionEmbedding';
  readonly seed: number;
  private table!: tf.LayerVariable;

  constructor(args: PositionEmbeddingArgs) {
    super(args);
    this.seed = args.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    const [, n, d] = shape;
    if (n == null || d == null) throw new Error(`PositionEmbedding '${this.name}' needs a known token count and width, got input shape [${shape.join(', ')}]`);
    this.table = this.addWeight('embedding', [n, d], 'float32', tf.initializers.truncatedNormal({ stddev: 0.02, seed: this.seed }));
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = singleInput(inputs);
    return tf.add(x, this.table.read());
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), seed: this.seed };
  }
}
tf.serialization.registerClass(PositionEmbedding);
