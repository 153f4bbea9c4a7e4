// Two views of every image: the same batches (same shuffled order) drawn
// twice, each with its own augmentation stream; the views go into one batch
// [view 1; view 2] so a network sees 2n images in one pass.
import * as tf from '@tensorflow/tfjs';
import { Random, seedFrom } from '../../engine/random';
import type { BatchSource } from '../../data/batches';
import type { AugmentConfig } from '../../data/schema';
import { withAugmentation } from '../../data/augment/pipeline';

export interface ViewBatch {
  /** [2n, h, w, c]: rows 0..n-1 are the first view of each image, n..2n-1 the second. */
  x: tf.Tensor4D;
  n: number;
  ids: string[];
}

/**
 * One pass over `source` in pairs of views. Batches of one image are dropped
 * (as drop_last in the SSL references): batch statistics need two rows.
 * `source` should carry no augmentation of its own (the views replace it).
 */
export function* viewBatches(source: BatchSource, views: AugmentConfig, o: { batchSize: number; shuffleSeed: number; seed: number }): Iterable<ViewBatch> {
  const a = withAugmentation(source, views, seedFrom(o.seed, 'view', 1));
  const b = withAugmentation(source, views, seedFrom(o.seed, 'view', 2));
  const second = b.batches({ batchSize: o.batchSize, shuffle: new Random(o.shuffleSeed) })[Symbol.iterator]();
  for (const first of a.batches({ batchSize: o.batchSize, shuffle: new Random(o.shuffleSeed) })) {
    const next = second.next();
    if (next.done) { tf.dispose([first.x, first.y]); throw new Error('view streams of one source ended at different batches'); }
    const other = next.value;
    const n = first.labels.length;
    if (other.ids[0] !== first.ids[0] || other.labels.length !== n) throw new Error('the two views of a batch hold different images: the source does not shuffle reproducibly');
    if (n < 2) { tf.dispose([first.x, first.y, other.x, other.y]); continue; }
    const x = tf.concat([first.x, other.x], 0) as tf.Tensor4D;
    tf.dispose([first.x, first.y, other.x, other.y]);
    yield { x, n, ids: first.ids };
  }
}
