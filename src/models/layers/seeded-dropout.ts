// Dropout whose masks are reproducible AND differ from step to step.
// tf.layers.dropout with a seed draws the same mask on every call (the seed
// restarts the generator); without one it uses Math.random. Here call k uses
// seedFrom(seed, k), so one seed fixes the whole sequence of masks.
import * as tf from '@tensorflow/tfjs';
import { singleInput, type LayerArgs } from './common';
import { seedFrom } from '../../engine/random';

export interface SeededDropoutArgs extends LayerArgs {
  rate: number;
  seed: number;
}

export class SeededDropout extends tf.layers.Layer {
  static className = 'CellabSeededDropout';
  readonly rate: number;
  readonly seed: number;
  private calls = 0;

  constructor(args: SeededDropoutArgs) {
    super(args);
    this.rate = args.rate;
    this.seed = args.seed;
    this.supportsMasking = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const x = singleInput(inputs);
    if (!kwargs['training'] || this.rate <= 0) return x;
    const seed = seedFrom(this.seed, this.calls++);
    return tf.tidy(() => {
      const keep = tf.cast(tf.greaterEqual(tf.randomUniform(x.shape, 0, 1, 'float32', seed), this.rate), 'float32');
      return tf.mul(x, tf.mul(keep, 1 / (1 - this.rate)));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed };
  }
}
tf.serialization.registerClass(SeededDropout);
