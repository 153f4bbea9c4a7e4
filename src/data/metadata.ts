// Clinical metadata of bags as model inputs: numeric columns standardised with
// the training bags' mean and std, categorical columns one-hot over the
// categories seen in training (an unseen category encodes as all zeros).
// `type: auto` is numeric when every training value is a number.
import type { MetadataColumnConfig } from './schema';
import type { Bag } from './bags';
import { DataError } from './bad-input';

export interface EncodedColumn {
  column: string;
  type: 'numeric' | 'categorical';
  /** numeric: training mean and std (std 1 when constant). */
  mean?: number;
  std?: number;
  /** categorical: one feature per category, in this order. */
  categories?: string[];
}

export interface MetadataEncoder {
  columns: EncodedColumn[];
  /** One name per feature: `age`, `gender=F`, ... */
  names: string[];
  /** Features of one bag. */
  encode(bag: Pick<Bag, 'id' | 'values'>): Float32Array;
  /** Features of bags, row-major [bags, names.length]. */
  encodeAll(bags: readonly Pick<Bag, 'id' | 'values'>[]): Float32Array;
}

const isNumber = (v: string) => v.trim() !== '' && Number.isFinite(Number(v));

function normalise(entries: readonly (string | MetadataColumnConfig)[]): MetadataColumnConfig[] {
  return entries.map((e) => (typeof e === 'string' ? { column: e, type: 'auto' } : e));
}

/** Fit on the training bags (never on validation or test). */
export function fitMetadata(train: readonly Bag[], entries: readonly (string | MetadataColumnConfig)[]): MetadataEncoder {
  const columns: EncodedColumn[] = normalise(entries).map(({ column, type }) => {
    const values = train.map((b) => b.values[column] ?? '');
    const numeric = type === 'numeric' || (type === 'auto' && values.length > 0 && values.every(isNumber));
    if (!numeric) return { column, type: 'categorical', categories: [...new Set(values)].sort() };
    const bad = train.find((b) => !isNumber(b.values[column] ?? ''));
    if (bad) throw new DataError(`dataset.metadata: column \`${column}\` is numeric but bag '${bad.id}' has '${bad.values[column]}' (${bad.items[0]?.source ?? bad.items[0]?.path}). Fix the value, or declare {column: ${column}, type: categorical}`);
    const xs = values.map(Number);
    const mean = xs.reduce((s, v) => s + v, 0) / Math.max(1, xs.length);
    const std = Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, xs.length)) || 1;
    return { column, type: 'numeric', mean, std };
  });
  const names = columns.flatMap((c) => (c.type === 'numeric' ? [c.column] : c.categories!.map((k) => `${c.column}=${k}`)));
  const encode = (bag: Pick<Bag, 'id' | 'values'>) => {
    const out = new Float32Array(names.length);
    let j = 0;
    for (const c of columns) {
      const v = bag.values[c.column] ?? '';
      if (c.type === 'numeric') {
        if (!isNumber(v)) throw new DataError(`dataset.metadata: column \`${c.column}\` is numeric but bag '${bag.id}' has '${v}': fix the value`);
        out[j++] = (Number(v) - c.mean!) / c.std!;
      } else {
        const k = c.categories!.indexOf(v);
        if (k >= 0) out[j + k] = 1;
        j += c.categories!.length;
      }
    }
    return out;
  };
  return {
    columns, names, encode,
    encodeAll: (bags) => {
      const out = new Float32Array(bags.length * names.length);
      bags.forEach((b, i) => out.set(encode(b), i * names.length));
      return out;
    },
  };
}

/** A numeric bag-level target (e.g. the lymphocyte count), standardised on the training bags: its MSE is the normalised MSE. */
export function fitNumericTarget(train: readonly Bag[], column: string): { mean: number; std: number; encode(bags: readonly Bag[]): Float32Array } {
  const bad = train.find((b) => !isNumber(b.values[column] ?? ''));
  if (bad) throw new DataError(`the auxiliary target \`${column}\` must be numeric, but bag '${bad.id}' has '${bad.values[column] ?? ''}'`);
  const xs = train.map((b) => Number(b.values[column]));
  const mean = xs.reduce((s, v) => s + v, 0) / Math.max(1, xs.length);
  const std = Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / Math.max(1, xs.length)) || 1;
  return {
    mean, std,
    encode: (bags) => Float32Array.from(bags, (b) => {
      const v = b.values[column] ?? '';
      if (!isNumber(v)) throw new DataError(`the auxiliary target \`${column}\` must be numeric, but bag '${b.id}' has '${v}'`);
      return (Number(v) - mean) / std;
    }),
  };
}
