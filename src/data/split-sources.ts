// One trial's model-ready data, in the order the studies require: classes
// checked on the training split, every image prepared once (cached), the
// anomaly filter and the normalisation statistics computed on the training
// split only, augmentation on the training source only, class weights from
// the training labels.
import type { DatasetConfig } from './schema';
import type { DatasetItem, DatasetSplit } from './types';
import type { BadInput } from './bad-input';
import { BadInputCollector, DataError } from './bad-input';
import { checkTrainingClasses } from './split-checks';
import { prepareItems, type PreparedSet } from './prepare';
import { PreparedBatchSource, type Normalization } from './batches';
import { filterByMeanIntensity, type AnomalyResult } from './anomaly';
import { resolveNormalization } from './normalization';
import { computeClassWeights, computeLabelWeights, type ClassWeights } from './class-weights';
import { labelMatrix } from './labels';
import { withAugmentation } from './augment/pipeline';

export interface SplitSources {
  classes: string[];
  /** Multi-label: the sources carry 0/1 label sets (`targets`); class weights are per-label positive weights. */
  multiLabel: boolean;
  /** The split actually used (bad items skipped, anomalies out of train). */
  split: DatasetSplit;
  /** Augmented when `dataset.augment` is set. */
  train: PreparedBatchSource;
  val: PreparedBatchSource;
  test: PreparedBatchSource;
  shape: [number, number, number];
  anomalies?: AnomalyResult;
  /** Per-channel statistics (from the training split or the config), or `image` (per-image standardisation). */
  normalization?: Normalization | 'image';
  classWeights: ClassWeights;
  /** Items left out under `onBadInput: skip` (files, rows, classes). */
  skipped: BadInput[];
  prepared: PreparedSet['stats'];
  /** Release cache files held open by streaming sources. */
  close(): void;
}

export interface SplitSourcesOptions {
  /** Seed of the augmentation stream (the training seed). */
  seed?: number;
  onProgress?: (done: number, total: number) => void;
  /** Bad input found while loading (loadDataset with `collect`): reported together with what decoding finds. */
  earlier?: BadInput[];
  /** Names the dataset in the failure message. */
  what?: string;
}

function unique(lists: DatasetItem[][]): DatasetItem[] {
  const seen = new Set<string>();
  const out: DatasetItem[] = [];
  for (const list of lists) for (const it of list) if (!seen.has(it.id)) { seen.add(it.id); out.push(it); }
  return out;
}

/**
 * Under `onBadInput: fail` every problem (load, classes, decoding) is
 * collected first, then reported in one message before anything trains.
 */
export async function prepareSplitSources(split: DatasetSplit, classes: string[], cfg: DatasetConfig, o: SplitSourcesOptions = {}): Promise<SplitSources> {
  const bad = new BadInputCollector();
  bad.problems.push(...(o.earlier ?? []));
  const first = checkTrainingClasses(split, classes, 'skip');
  bad.problems.push(...first.skipped);
  const prepared = await prepareItems(unique([first.split.train, first.split.val, first.split.test]), cfg.image, {
    onBadInput: 'skip',
    onProgress: o.onProgress,
    cache: cfg.cache,
    stream: cfg.stream,
    workers: cfg.workers,
  });
  bad.problems.push(...prepared.skipped);
  try {
    const slot = new Map(prepared.items.map((it, i) => [it.id, i]));
    const ok = (items: DatasetItem[]) => items.filter((it) => slot.has(it.id));
    // A class can lose its last training image to bad files: check again.
    const second = checkTrainingClasses({ ...first.split, train: ok(first.split.train), val: ok(first.split.val), test: ok(first.split.test) },
      first.classes, 'skip');
    bad.problems.push(...second.skipped);
    bad.check(cfg.onBadInput, o.what ?? `the dataset at ${cfg.manifest ?? cfg.root}`);
    const cls = second.classes;
    if (cls.length < 2) throw new DataError(`only ${cls.length} class(es) left with training items (${cls.join(', ') || 'none'}): a classifier needs at least 2. Check the skipped items listed above`);
    const index = new Map(cls.map((c, i) => [c, i]));
    const multiLabel = [...first.split.train, ...first.split.val, ...first.split.test].some((it) => it.labels !== undefined);
    // Multi-label: the hard label is the first of the set (what per-class summaries and priors read); targets carry the set.
    const sourceOf = (items: DatasetItem[]) => new PreparedBatchSource(prepared.store, items.map((it) => slot.get(it.id)!),
      Int32Array.from(items, (it) => index.get(it.labels ? it.labels[0] : it.label) ?? -1), items.map((it) => it.id), cls.length, {},
      multiLabel ? labelMatrix(items, cls) : undefined);

    let train = second.split.train;
    let anomalies: AnomalyResult | undefined;
    if (cfg.anomalyFilter) {
      const means = new Map(train.map((it) => [it.id, prepared.store.mean(slot.get(it.id)!)]));
      anomalies = filterByMeanIntensity(train, { std: cfg.anomalyFilter.std, method: cfg.anomalyFilter.method, means, groupBy: cfg.split.groupBy });
      train = anomalies.kept;
      if (train.length === 0) throw new DataError('the anomaly filter dropped every training item: raise dataset.anomalyFilter.std or turn the filter off');
    }
    const plainTrain = sourceOf(train);
    const normalization = resolveNormalization(cfg.normalize, plainTrain);
    const withNorm = (s: PreparedBatchSource) => (normalization ? s.withOptions({ normalize: normalization }) : s);
    const trainSource = withAugmentation(withNorm(plainTrain), cfg.augment, o.seed ?? 0) as PreparedBatchSource;
    return {
      classes: cls,
      multiLabel,
      split: { ...second.split, train },
      train: trainSource,
      val: withNorm(sourceOf(second.split.val)),
      test: withNorm(sourceOf(second.split.test)),
      shape: prepared.store.shape,
      anomalies,
      normalization,
      classWeights: multiLabel ? computeLabelWeights(plainTrain.targets!, cls, cfg.classWeights) : computeClassWeights(plainTrain.labels, cls, cfg.classWeights),
      skipped: bad.problems.slice((o.earlier ?? []).length),
      prepared: prepared.stats,
      close: () => prepared.store.close(),
    };
  } catch (err) {
    prepared.store.close();
    throw err;
  }
}
