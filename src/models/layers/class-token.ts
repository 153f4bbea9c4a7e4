// A learned class token put in front of a token sequence [B, N, D] -> [B, N+1, D] (ViT).
import * as tf from '@tensorflow/tfjs';
import { singleInput, singleShape, type LayerArgs } from './common';

export interface ClassTokenArgs extends LayerArgs {
  seed: number;
}

export class ClassToken extends tf.layers.Layer {
  static className = 'CellabClassToken';
  readonly seed: number;
  private token!: tf.LayerVariable;

  constructor(args: ClassTokenArgs) {
    super(args);
    this.seed = args.seed;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    const d = shape[shape.length - 1];
    if (d == null) throw new Error(`ClassToken '${this.name}' needs a known width, got [${shape.join(', ')}]`);
    this.token = this.addWeight('token', [d], 'float32', tf.initializers.truncatedNormal({ stddev: 0.02, seed: this.seed }));
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [b, n, d] = singleShape(inputShape);
    return [b, n == null ? null : n + 1, d];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = singleInput(inputs);
    return tf.tidy(() => {
      const [b, , d] = x.shape;
      const t = tf.broadcastTo(tf.reshape(this.token.read(), [1, 1, d]), [b, 1, d]);
      return tf.concat([t, x], 1);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), seed: this.seed };
  }
}
tf.serialization.registerClass(ClassToken);

/** The class token's output: x[:, 0, :] of [B, N, D] -> [B, D]. */
export class TakeClassToken extends tf.layers.Layer {
  static className = 'CellabTakeClassToken';

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const [b, , d] = singleShape(inputShape);
    return [b, d];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = singleInput(inputs);
    const [b, , d] = x.shape as number[];
    return tf.tidy(() => tf.reshape(tf.slice(x, [0, 0, 0], [b, 1, d]), [b, d]));
  }
}
tf.serialization.registerClass(TakeClassToken);
