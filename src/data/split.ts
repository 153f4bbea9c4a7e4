// Splitting items into train / val / test, always seeded.
import type { SplitConfig } from './schema';
import type { DatasetItem, DatasetSplit } from './types';
import { Random, seedFrom } from '../engine/random';

/** Stratified hold-out: take `fraction` of each class (at least one when the class has >= 2 items). */
export function stratifiedHoldout(items: DatasetItem[], fraction: number, seed: number): { kept: DatasetItem[]; held: DatasetItem[] } {
  if (fraction <= 0) return { kept: [...items], held: [] };
  const rng = new Random(seed);
  const byClass = new Map<string, DatasetItem[]>();
  for (const it of items) byClass.set(it.label, [...(byClass.get(it.label) ?? []), it]);
  const held = new Set<DatasetItem>();
  for (const label of [...byClass.keys()].sort()) {
    const members = rng.shuffle([...byClass.get(label)!]);
    const k = members.length >= 2 ? Math.max(1, Math.round(members.length * fraction)) : 0;
    members.slice(0, k).forEach((m) => held.add(m));
  }
  return { kept: items.filter((i) => !held.has(i)), held: items.filter((i) => held.has(i)) };
}

export function splitDataset(items: DatasetItem[], cfg: SplitConfig, fold?: number): DatasetSplit {
  const seed = seedFrom(cfg.seed, 'split', cfg.kind);
  switch (cfg.kind) {
    case 'predefined': {
      const test = items.filter((i) => i.split === 'test');
      const given = items.filter((i) => i.split === 'val');
      const train = items.filter((i) => i.split === 'train' || i.split === undefined);
      if (test.length === 0) {
        throw new Error('dataset.split.kind is predefined but no item is marked as test. Use a dataset with a test split, or choose another dataset.split.kind (e.g. stratified).');
      }
      if (given.length) return { train, val: given, test };
      const { kept, held } = stratifiedHoldout(train, cfg.valFraction, seedFrom(seed, 'val'));
      return { train: kept, val: held, test };
    }
    case 'stratified': {
      const t = stratifiedHoldout(items, cfg.testFraction, seedFrom(seed, 'test'));
      const v = stratifiedHoldout(t.kept, cfg.valFraction / Math.max(1e-9, 1 - cfg.testFraction), seedFrom(seed, 'val'));
      return { train: v.kept, val: v.held, test: t.held };
    }
    default:
      throw new Error(`dataset.split.kind ${cfg.kind}${fold !== undefined ? ` (fold ${fold})` : ''} is not supported yet. Use predefined or stratified.`);
  }
}
