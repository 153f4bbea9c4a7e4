// Mean intensity of items (inside the mask when masked, full resolution,
// 0..1), for the anomaly filter in notebooks: prepared through the cache,
// so measuring after a run (or before one) costs one read.
import type { ImageConfig } from './schema';
import type { DatasetItem } from './types';
import { prepareItems, type CacheOptions } from './prepare';

export async function measureMeanIntensity(items: DatasetItem[], image: ImageConfig,
  o: { cache?: CacheOptions; onBadInput?: 'fail' | 'skip' } = {}): Promise<Map<string, number>> {
  const p = await prepareItems(items, image, { onBadInput: o.onBadInput ?? 'fail', cache: o.cache, stream: false });
  const means = new Map(p.items.map((it, i) => [it.id, p.store.mean(i)]));
  p.store.close();
  return means;
}
