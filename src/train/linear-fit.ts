// `model.head: linear` as one call: embed the splits with the frozen
// backbone (cached on disk), fit the linear head over its C grid, and report
// like fit() does: one history row per C tried (epoch = its index + 1).
import type * as tf from '@tensorflow/tfjs';
import type { BatchSource } from '../data/batches';
import type { TrainConfig } from './schema';
import type { EpochRow } from './history';
import type { TrainResult } from './loop';
import { cachedFeatures, extractFeatures, type FeatureSet } from './features';
import { linearScores, trainLinearHead, type LinearHead } from './linear-head';

export interface LinearFitOptions {
  /** Layer whose output is the embedding (model.featureLayer). */
  featureLayer: string;
  /** Folder for cached embeddings; none: no cache. */
  cacheDir?: string;
  /** What the inputs are (dataset digest + image options): part of the cache key. */
  dataKey: string;
  classWeights?: number[];
  log?: (line: string) => void;
}

export interface LinearFitResult extends TrainResult {
  head: LinearHead;
  /** Seconds spent embedding (0 when every split came from the cache) and fitting the head. */
  featureSeconds: number;
  headSeconds: number;
  /** Class scores [size * classes] of any source, through the same backbone and head. */
  scores(source: BatchSource): Promise<Float32Array>;
}

export async function fitLinearHead(model: tf.LayersModel, train: BatchSource, val: BatchSource | undefined,
  cfg: TrainConfig, o: LinearFitOptions): Promise<LinearFitResult> {
  const t0 = Date.now();
  let embedSeconds = 0;
  const embed = async (s: BatchSource): Promise<FeatureSet> => {
    const t = Date.now();
    const f = cfg.linear.cache && o.cacheDir
      ? await cachedFeatures(model, s, { layer: o.featureLayer, cacheDir: o.cacheDir, dataKey: o.dataKey })
      : await extractFeatures(model, s, { layer: o.featureLayer });
    embedSeconds += (Date.now() - t) / 1000;
    return f;
  };
  const trainF = await embed(train);
  const valF = val && val.size > 0 ? await embed(val) : undefined;
  const featureSeconds = embedSeconds;
  const head = trainLinearHead(trainF, valF, train.numClasses, {
    classifier: cfg.linear.classifier, C: cfg.linear.C, maxIter: cfg.linear.maxIter, standardize: cfg.linear.standardize,
    classWeights: o.classWeights, seed: cfg.seed,
  });
  o.log?.(`cellab: linear head (${head.classifier}) on \`${o.featureLayer}\` (${trainF.dim} features): C = ${head.C.toPrecision(3)} chosen on ${head.selectedOn} from ${head.path.length} value(s) in ${head.seconds.toFixed(2)} s; embedding took ${featureSeconds.toFixed(2)} s`);
  const history: EpochRow[] = head.path.map((r, i) => {
    const row: EpochRow = { epoch: i + 1, 'linear/C': r.C, 'train/loss': r.trainLoss, 'train/accuracy': r.trainAccuracy, 'linear/iterations': r.iterations };
    if (Number.isFinite(r.valAccuracy)) { row['val/loss'] = r.valLoss; row['val/accuracy'] = r.valAccuracy; }
    return row;
  });
  const seconds = (Date.now() - t0) / 1000;
  return {
    history, outcome: 'completed', bestEpoch: head.bestIndex + 1, seconds,
    imagesPerSecond: (trainF.n + (valF?.n ?? 0)) / Math.max(1e-3, seconds),
    head, featureSeconds, headSeconds: head.seconds,
    scores: async (s) => linearScores(head, await embed(s)),
  };
}
