// How a self-supervised backbone is judged (the standard protocol): embed
// the labelled splits without augmentation, then (1) k-NN: each val/test
// embedding takes the vote of its k most cosine-similar training embeddings;
// (2) linear probe: logistic regression on the frozen training embeddings
// (train.linear, C chosen on validation), scored on val/test. Labels are used
// here only, never by the pretraining.
import type * as tf from '@tensorflow/tfjs';
import type { BatchSource } from '../data/batches';
import { extractFeatures, linearScores, trainLinearHead, type FeatureSet, type LinearHead, type TrainConfig } from '../train/index';
import { argmax, knnClassify } from '../eval/index';

export interface ProbeSplits {
  train: BatchSource;
  val?: BatchSource;
  test?: BatchSource;
}

export interface ProbeResult {
  /** `val/knn_accuracy`, `val/linear_probe_accuracy` and the test equivalents (splits given and non-empty). */
  metrics: Record<string, number>;
  head: LinearHead;
  /** Linear-probe class scores [n * classes] of any source, through the same backbone. */
  scores(source: BatchSource): Promise<Float32Array>;
}

function rows(f: FeatureSet): number[][] {
  return Array.from({ length: f.n }, (_, i) => Array.from(f.features.subarray(i * f.dim, (i + 1) * f.dim)));
}

function accuracy(pred: ArrayLike<number>, labels: Int32Array): number {
  let hit = 0;
  for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) hit++;
  return hit / Math.max(1, labels.length);
}

export async function probeBackbone(model: tf.LayersModel, splits: ProbeSplits, o: { layer: string; knn: number; train: TrainConfig }): Promise<ProbeResult> {
  const embed = (s: BatchSource) => extractFeatures(model, s, { layer: o.layer });
  const trainF = await embed(splits.train);
  const k = splits.train.numClasses;
  const evalSets: (readonly ['val' | 'test', FeatureSet])[] = [];
  for (const s of ['val', 'test'] as const) if (splits[s] && splits[s]!.size > 0) evalSets.push([s, await embed(splits[s]!)]);
  const valF = evalSets.find(([s]) => s === 'val')?.[1];
  const lin = o.train.linear;
  const head = trainLinearHead(trainF, valF, k, { classifier: lin.classifier, C: lin.C, maxIter: lin.maxIter, standardize: lin.standardize, seed: o.train.seed });
  const trainRows = rows(trainF);
  const metrics: Record<string, number> = {};
  for (const [split, f] of evalSets) {
    metrics[`${split}/knn_accuracy`] = accuracy(knnClassify(trainRows, trainF.labels, rows(f), { k: o.knn, numClasses: k }).predictions, f.labels);
    const s = linearScores(head, f);
    metrics[`${split}/linear_probe_accuracy`] = accuracy(Array.from({ length: f.n }, (_, i) => argmax(Array.from(s.subarray(i * k, (i + 1) * k)))), f.labels);
  }
  return { metrics, head, scores: async (s) => linearScores(head, await embed(s)) };
}
