// From the `dataset` config to checked items (loaders + the checks every
// layout gets), and the notebook entry point `load()`.
import * as path from 'node:path';
import { validate, ConfigError } from '../engine/schema';
import { datasetSchema, type DatasetConfig, type ImageConfig } from './schema';
import { resolveDatasetInputPaths } from './paths';
import type { Dataset, DatasetItem, DatasetSplit } from './types';
import { BadInputCollector, DataError, type BadInput } from './bad-input';
import { loadIcpr2012 } from './icpr2012';
import { loadFolder } from './folder';
import { loadManifest } from './manifest';
import { loadDlmi } from './dlmi';
import { regroup, splitByBag, type Bag } from './bags';
import { dropDuplicateIds, dropMissingFiles } from './item-checks';
import { labelIdNames, labelMatrix, readClassMap, resolveClasses, resolveLabelSets } from './labels';
import { splitDataset } from './split';
import { ensureSynthetic } from './ensure-synthetic';
import { groupTable, summaryTable } from './summary';
import type { DataFrame } from './dataframe';
import { prepareItems, type PrepareItemsOptions } from './prepare';
import { PreparedBatchSource } from './batches';
import { augmentPreview, classGallery, type AugmentPreviewOptions, type ClassGalleryOptions, type Gallery } from './gallery';
import { showGallery } from './display';
import { filterByMeanIntensity, type AnomalyResult } from './anomaly';
import { measureMeanIntensity } from './intensity';
import type { AnomalyFilterConfig } from './schema';

export interface LoadedDataset extends Dataset {
  /** Items left out under `onBadInput: skip` (empty under `fail`). */
  skipped: BadInput[];
  /** Patients without a label (DLMI's LABEL -1: the challenge's test set), left out. */
  unlabelled?: number;
}

/**
 * Read the items of a dataset and check them: every file present and
 * non-empty, masks present when used, ids unique, labels known. Bad input
 * fails with one message listing every offender (or is skipped and listed;
 * with `collect`, returned in `skipped` whatever the policy).
 */
export function loadDataset(cfg: DatasetConfig, o: { /** Return bad input in `skipped` instead of failing (the caller fails later with the full list). */ collect?: boolean } = {}): LoadedDataset {
  const bad = new BadInputCollector();
  let ds: Dataset & { unlabelled?: number };
  const multi = cfg.multiLabel === 'multi' || !!cfg.labelColumns;
  if (multi && cfg.format !== 'csv') {
    throw new DataError(`dataset.multiLabel: multi reads label sets from a CSV manifest, but dataset.format is ${cfg.format}: use format: csv (e.g. HPA's train.csv)`);
  }
  if (cfg.labelColumns && cfg.multiLabel === 'first') {
    throw new DataError('dataset.labelColumns gives label sets (one 0/1 column per label) but dataset.multiLabel is first: set multiLabel: multi, or use a label column');
  }
  const ids = labelIdNames(cfg.classes, cfg.classMap ? readClassMap(cfg.classMap) : undefined);
  switch (cfg.format) {
    case 'icpr2012': ds = loadIcpr2012(cfg, bad); break;
    case 'folder': ds = loadFolder(cfg, bad); break;
    case 'csv': ds = loadManifest(cfg, bad); break;
    case 'dlmi': ds = loadDlmi(cfg, bad); break;
    default: throw new DataError(`dataset.format ${String(cfg.format)} is unknown. Use icpr2012, folder, csv or dlmi.`);
  }
  let items = dropDuplicateIds(ds.items, bad);
  items = dropMissingFiles(items, cfg.image.mask, bad);
  const resolved = multi ? resolveLabelSets(items, cfg.classes, bad, ids) : resolveClasses(items, cfg.classes, bad, ids);
  items = resolved.items;
  const where = `the dataset at ${cfg.format === 'csv' ? cfg.manifest ?? ds.root : ds.root}`;
  if (items.length === 0) {
    const why = bad.size ? `every item has a problem:\n${BadInputCollector.format(bad.problems)}` : 'no items were found';
    throw new DataError(`${where} is empty: ${why}\nCheck dataset.root / dataset.manifest and dataset.format (${cfg.format}).`, bad.problems);
  }
  if (!o.collect) bad.check(cfg.onBadInput, where);
  const classes = cfg.classes || ids || multi ? resolved.classes : [...new Set(items.map((i) => i.label))].sort();
  return { format: ds.format, root: ds.root, classes, items, skipped: bad.problems, ...(ds.unlabelled !== undefined ? { unlabelled: ds.unlabelled } : {}) };
}

/** Fill defaults and check a (partial) `dataset` section, as an experiment file would. */
export function resolveDatasetConfig(partial: Partial<DatasetConfig> | Record<string, unknown>, baseDir = process.cwd()): DatasetConfig {
  const problems: string[] = [];
  const section = resolveDatasetInputPaths(partial, baseDir, problems);
  const out = validate(datasetSchema, section, 'dataset', problems, { resolvePath: (p) => path.resolve(baseDir, p) });
  if (problems.length) throw new ConfigError(problems);
  return out as DatasetConfig;
}

export interface DatasetView extends LoadedDataset {
  config: DatasetConfig;
  split: DatasetSplit;
  train: DatasetItem[];
  val: DatasetItem[];
  test: DatasetItem[];
  /** Counts per class x split (danfojs DataFrame). */
  summary(): DataFrame;
  /** Counts per specimen x class x split (danfojs DataFrame). */
  specimens(): DataFrame;
  /**
   * A gallery of `n` random images per class (`masks: true` outlines each cell's mask),
   * shown as a picture in notebooks. `split` picks the items (default: all).
   */
  show(o?: ClassGalleryOptions & { split?: 'train' | 'val' | 'test' }): Promise<Gallery>;
  augment: {
    /** One item (or id) through this dataset's training augmentation `n` times. */
    preview(item: DatasetItem | string, n?: number, o?: AugmentPreviewOptions): Promise<Gallery>;
  };
  /**
   * The mean-intensity anomaly filter on the training split (this dataset's image settings;
   * default: dataset.anomalyFilter, else 3 std by class). `.show()` draws the dropped images.
   */
  anomalies(o?: Partial<AnomalyFilterConfig>): Promise<AnomalyResult>;
  /** With dataset.bags: the bags (patients) of each split. */
  bags?: { train: Bag[]; val: Bag[]; test: Bag[] };
}

/**
 * Notebook entry point: `await load({format: 'icpr2012', root: 'data/hep2', image: {size: 64, mask: true}})`.
 * Generates the synthetic set first when `synthetic` is configured. With `bags`, the split keeps
 * every bag (patient) whole.
 */
export async function load(partial: Partial<DatasetConfig> | Record<string, unknown>, o: { fold?: number; baseDir?: string } = {}): Promise<DatasetView> {
  const config = resolveDatasetConfig(partial, o.baseDir);
  await ensureSynthetic(config);
  const ds = loadDataset(config);
  const bad = new BadInputCollector();
  const split = config.bags ? splitByBag(ds.items, config, o.fold, bad) : splitDataset(ds.items, config.split, o.fold);
  bad.check(config.onBadInput, `the bags of ${config.manifest ?? config.root}`);
  const byId = new Map(ds.items.map((i) => [i.id, i]));
  const gallery = { channels: config.image.channels, resize: config.image.resize };
  return {
    ...ds, config, split, train: split.train, val: split.val, test: split.test, skipped: [...ds.skipped, ...bad.problems],
    ...(config.bags ? { bags: regroup(split, config) } : {}),
    summary: () => summaryTable(split),
    specimens: () => groupTable(split),
    show: async (g = {}) => showGallery(await classGallery(g.split ? split[g.split] : ds.items, { image: gallery, classes: ds.classes, ...g })),
    augment: {
      preview: async (item, n = 8, g = {}) => {
        const it = typeof item === 'string' ? byId.get(item) : item;
        if (!it) throw new DataError(`augment.preview: no item with id '${item}' in ${ds.root}`);
        return showGallery(await augmentPreview(it, config.augment, config.image, n, g));
      },
    },
    anomalies: async (a = {}) => {
      const base = config.anomalyFilter || { std: 3, method: 'class' as const };
      const means = await measureMeanIntensity(split.train, config.image, { cache: config.cache });
      return filterByMeanIntensity(split.train, { std: a.std ?? base.std, method: a.method ?? base.method, means, groupBy: config.split.groupBy });
    },
  };
}

/** Decode every item of a split into a batch source (through the cache). */
export async function prepareBatches(items: DatasetItem[], classes: string[], image: ImageConfig,
  o: PrepareItemsOptions): Promise<{ source: PreparedBatchSource; skipped: BadInput[] }> {
  const prepared = await prepareItems(items, image, o);
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  const multi = prepared.items.some((it) => it.labels !== undefined);
  const labels = Int32Array.from(prepared.items, (it) => {
    const c = classIndex.get(it.labels ? it.labels[0] : it.label);
    if (c === undefined) throw new DataError(`${it.source ?? it.path}: label '${it.label}' is not one of the classes ${classes.join(', ')}`);
    return c;
  });
  const source = new PreparedBatchSource(prepared.store, prepared.items.map((_, i) => i), labels, prepared.items.map((i) => i.id), classes.length, {},
    multi ? labelMatrix(prepared.items, classes) : undefined);
  return { source, skipped: prepared.skipped };
}
