// From the `dataset` config to items, and from items to model-ready batches.
import type { DatasetConfig, ImageConfig } from './schema';
import type { Dataset, DatasetItem } from './types';
import { BadInputCollector, DataError, type BadInput } from './bad-input';
import { loadIcpr2012 } from './icpr2012';
import { prepareImage, channelCount } from './image';
import { InMemoryBatchSource } from './batches';

export interface LoadedDataset extends Dataset {
  /** Items left out under `onBadInput: skip` (empty under `fail`). */
  skipped: BadInput[];
}

export function loadDataset(cfg: DatasetConfig): LoadedDataset {
  const bad = new BadInputCollector();
  let ds: Dataset;
  switch (cfg.format) {
    case 'icpr2012':
      ds = loadIcpr2012(cfg, bad);
      break;
    default:
      throw new Error(`dataset.format ${cfg.format} is not supported yet. Use icpr2012.`);
  }
  if (ds.items.length === 0 && bad.size === 0) throw new DataError(`the dataset at ${cfg.root} has no items`);
  bad.check(cfg.onBadInput, `the dataset at ${cfg.root}`);
  return { ...ds, skipped: bad.problems };
}

export interface PrepareOptions {
  onBadInput: 'fail' | 'skip';
  onProgress?: (done: number, total: number) => void;
  concurrency?: number;
}

/** Decode every item of a split into one in-memory batch source. */
export async function prepareBatches(items: DatasetItem[], classes: string[], image: ImageConfig,
  o: PrepareOptions): Promise<{ source: InMemoryBatchSource; skipped: BadInput[] }> {
  const per = image.size * image.size * channelCount(image.channels);
  const results: (Float32Array | undefined)[] = new Array(items.length);
  const bad = new BadInputCollector();
  const classIndex = new Map(classes.map((c, i) => [c, i]));
  let next = 0, done = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = await prepareImage(items[i], image);
      } catch (err) {
        bad.add(items[i].path, (err as Error).message, items[i].id);
      }
      done++;
      o.onProgress?.(done, items.length);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency ?? 8 }, worker));
  bad.check(o.onBadInput, 'the images');
  const keep = items.map((_, i) => i).filter((i) => results[i] !== undefined);
  const data = new Float32Array(keep.length * per);
  const labels = new Int32Array(keep.length);
  keep.forEach((i, k) => {
    data.set(results[i]!, k * per);
    const c = classIndex.get(items[i].label);
    if (c === undefined) throw new DataError(`${items[i].path}: label '${items[i].label}' is not one of the classes ${classes.join(', ')}`);
    labels[k] = c;
  });
  const source = new InMemoryBatchSource(data, [image.size, image.size, channelCount(image.channels)], labels,
    keep.map((i) => items[i].id), classes.length);
  return { source, skipped: bad.problems };
}
