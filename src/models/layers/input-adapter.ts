// What a pretrained stem expects of its input, done inside the model so
// checkpoints and predictions carry it: (x - mean) / std per channel (the
// normalisation the weights were trained with), then a 1-channel image
// repeated into `repeat` channels (a gray image into an RGB stem). For a gray
// input the mean and std are one value each (the average of the RGB ones), so
// repeating the channel and summing the stem's filters (`model.stem: sum`)
// compute the same thing.
import * as tf from '@tensorflow/tfjs';
import { singleInput, singleShape, type LayerArgs } from './common';

export interface InputAdapterArgs extends LayerArgs {
  mean: number[] | null;
  std: number[] | null;
  repeat: number;
}

export class InputAdapter extends tf.layers.Layer {
  static className = 'CellabInputAdapter';
  readonly mean: number[] | null;
  readonly std: number[] | null;
  readonly repeat: number;

  constructor(args: InputAdapterArgs) {
    super(args);
    this.mean = args.mean;
    this.std = args.std;
    this.repeat = args.repeat;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = singleShape(inputShape);
    return [...s.slice(0, -1), (s[s.length - 1] ?? 1) * this.repeat];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = singleInput(inputs);
    return tf.tidy(() => {
      let y = x;
      if (this.mean && this.std) y = tf.div(tf.sub(y, tf.tensor1d(this.mean)), tf.tensor1d(this.std));
      if (this.repeat > 1) y = tf.concat(new Array(this.repeat).fill(y), -1);
      return y;
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mean: this.mean, std: this.std, repeat: this.repeat };
  }
}
tf.serialization.registerClass(InputAdapter);
