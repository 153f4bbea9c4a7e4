// Mean/std normalisation: given in the config, measured per channel on the
// training split (never on val/test), or per image (each image's own
// statistics, computed in batches.ts after augmentation).
import type { NormalizeConfig } from './schema';
import type { ArrayBatchSource, Normalization } from './batches';
import { DataError } from './bad-input';

/** Per-channel mean and std of every pixel of every item of `source` (0..1 scale). */
export function computeNormalization(source: ArrayBatchSource): Normalization {
  const C = source.shape[2];
  const sum = new Float64Array(C), sq = new Float64Array(C);
  let n = 0;
  for (let i = 0; i < source.size; i++) {
    const px = source.pixels(i);
    for (let j = 0; j < px.length; j++) {
      const c = j % C;
      sum[c] += px[j];
      sq[c] += px[j] * px[j];
    }
    n += px.length / C;
  }
  if (n === 0) throw new DataError('cannot compute normalisation: the training split is empty');
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(sq, (s, c) => Math.sqrt(Math.max(0, s / n - mean[c] * mean[c])) || 1);
  return { mean, std };
}

/** The normalisation a config asks for (`train` is measured on `train`), or undefined. */
export function resolveNormalization(cfg: NormalizeConfig, train: ArrayBatchSource): Normalization | 'image' | undefined {
  if (cfg === false) return undefined;
  if (cfg === 'train') return computeNormalization(train);
  if (cfg === 'image') return 'image';
  const list = (v: number | number[] | undefined, key: string) => {
    if (v === undefined) throw new DataError(`dataset.normalize.${key} is missing: give both mean and std (one value, or one per channel), or use normalize: train (or image)`);
    return Array.isArray(v) ? v : [v];
  };
  const mean = list(cfg.mean, 'mean');
  const std = list(cfg.std, 'std');
  if (std.some((s) => !(s > 0))) throw new DataError(`dataset.normalize.std must be > 0, got ${std.join(', ')}`);
  return { mean, std };
}
