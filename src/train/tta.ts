// Test-time augmentation: the views of an NHWC batch under flips and
// 90-degree rotations (the dihedral group of the square), whose predicted
// class scores are averaged.
import * as tf from '@tensorflow/tfjs';
import type { TtaName } from './schema';
import type { InferenceFunction } from '../models/inference';
import { headProbabilities, type ScoreActivation } from './losses';

export type View = (x: tf.Tensor4D) => tf.Tensor4D;

const identity: View = (x) => x;
const hflip: View = (x) => tf.reverse(x, 2);
const vflip: View = (x) => tf.reverse(x, 1);
const rot180: View = (x) => tf.reverse(x, [1, 2]);
const transpose: View = (x) => tf.transpose(x, [0, 2, 1, 3]);
const rot90: View = (x) => tf.reverse(transpose(x), 2);      // clockwise
const rot270: View = (x) => tf.reverse(transpose(x), 1);     // counter-clockwise
const antiTranspose: View = (x) => tf.reverse(transpose(x), [1, 2]);

export const TTA_VIEWS: Record<TtaName, View[]> = {
  none: [identity],
  flips: [identity, hflip, vflip, rot180],
  rotations: [identity, rot90, rot180, rot270],
  dihedral: [identity, hflip, vflip, rot180, rot90, rot270, transpose, antiTranspose],
};

/** The views of `tta`; rotations by 90 degrees need square images. */
export function ttaViews(tta: TtaName, inputShape: number[]): View[] {
  const views = TTA_VIEWS[tta];
  if (!views) throw new Error(`train.tta: unknown '${tta}'. Use none, flips, rotations or dihedral`);
  const [h, w] = inputShape;
  if ((tta === 'rotations' || tta === 'dihedral') && h !== w) {
    throw new Error(`train.tta '${tta}' rotates by 90 degrees, which needs square images; these are ${h}x${w} (use 'flips')`);
  }
  return views;
}

/** Mean over the views of activation(model(view(x))); `model`: a LayersModel or its inference function (models/inference.ts). */
export function predictWithViews(model: tf.LayersModel | InferenceFunction, x: tf.Tensor4D, views: View[], activation: ScoreActivation): tf.Tensor2D {
  return tf.tidy(() => {
    let sum: tf.Tensor2D | undefined;
    for (const v of views) {
      const logits = model.predict(v(x)) as tf.Tensor2D;
      const s = (activation === 'softmax' ? tf.softmax(logits) : headProbabilities(logits, activation)) as tf.Tensor2D;
      sum = sum ? tf.add(sum, s) as tf.Tensor2D : s;
    }
    return tf.div(sum!, views.length) as tf.Tensor2D;
  });
}
