// Parameter importance of a search, honestly simple: a one-way ANOVA per
// parameter. Each configuration's objective (mean over its folds) is grouped
// by the parameter's value (numbers in quantile bins, about 3 configurations
// per bin, 2 to 8 bins; a conditional key's absence is a group of its own),
// and omega^2 = (SS_between - (k-1) MS_within) / (SS_total + MS_within), the
// bias-corrected share of variance that parameter explains on its own (eta^2
// would credit a noise parameter with (k-1)/(n-1) on n trials). Shares are the
// omega^2 normalised to sum to 1. It ignores interactions: not fANOVA, which
// fits a random forest and integrates over the other parameters.
import { canonicalJson } from './config';

export interface ImportanceInput {
  params: Record<string, unknown>;
  /** The objective; undefined or non-finite rows are left out. */
  value?: number | null;
}

export interface Importance {
  param: string;
  /** omega^2 in [0, 1] (0 where it cannot be estimated: one configuration per group). */
  statistic: number;
  share: number;
}

export const IMPORTANCE_METHOD = 'one-way ANOVA per parameter alone: ω² (bias-corrected variance explained) of val/accuracy, numbers in quantile bins, normalised to sum to 1; ignores interactions (not fANOVA)';

function sumSq(xs: number[]): number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return xs.reduce((s, x) => s + (x - m) ** 2, 0);
}

function groupKeys(values: unknown[], maxBins: number): string[] {
  const nums = values.filter((v): v is number => typeof v === 'number');
  const distinct = new Set(nums).size;
  if (values.every((v) => v === undefined || typeof v === 'number') && distinct > maxBins) {
    // Quantile bins by rank: equal-count groups, ties kept together.
    const sorted = [...nums].sort((a, b) => a - b);
    const edges = Array.from({ length: maxBins - 1 }, (_, i) => sorted[Math.floor(((i + 1) * sorted.length) / maxBins)]);
    return values.map((v) => (typeof v === 'number' ? `bin${edges.filter((e) => v >= e).length}` : '(absent)'));
  }
  return values.map((v) => (v === undefined ? '(absent)' : canonicalJson(v)));
}

/** Importance of each parameter that varies, over at least 3 configurations with a finite objective; [] otherwise. */
export function paramImportance(rows: ImportanceInput[]): Importance[] {
  // One observation per configuration: folds averaged.
  const byConfig = new Map<string, { params: Record<string, unknown>; values: number[] }>();
  for (const r of rows) {
    if (r.value === undefined || r.value === null || !Number.isFinite(r.value)) continue;
    const k = canonicalJson(r.params);
    const g = byConfig.get(k) ?? { params: r.params, values: [] };
    g.values.push(r.value);
    byConfig.set(k, g);
  }
  const configs = [...byConfig.values()].map((g) => ({ params: g.params, y: g.values.reduce((a, b) => a + b, 0) / g.values.length }));
  if (configs.length < 3) return [];
  const ys = configs.map((c) => c.y);
  const total = sumSq(ys);
  const keys = [...new Set(configs.flatMap((c) => Object.keys(c.params)))];
  const maxBins = Math.max(2, Math.min(8, Math.floor(configs.length / 3)));
  const out = keys.map((param) => {
    const groups = groupKeys(configs.map((c) => c.params[param]), maxBins);
    if (new Set(groups).size < 2 || total === 0) return { param, statistic: 0, share: 0 };
    const byGroup = new Map<string, number[]>();
    groups.forEach((g, i) => byGroup.set(g, [...(byGroup.get(g) ?? []), ys[i]]));
    const within = [...byGroup.values()].reduce((s, g) => s + sumSq(g), 0);
    const k = byGroup.size, n = ys.length;
    if (n - k <= 0) return { param, statistic: 0, share: 0 };
    const msWithin = within / (n - k);
    return { param, statistic: Math.max(0, (total - within - (k - 1) * msWithin) / (total + msWithin)), share: 0 };
  });
  const sum = out.reduce((s, r) => s + r.statistic, 0);
  for (const r of out) r.share = sum > 0 ? r.statistic / sum : 0;
  return out;
}
