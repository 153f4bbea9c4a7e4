// The `sweep` section read as a search: its method (grid, random, tpe), the
// distribution of each swept key (lists are categorical), conditional keys,
// pruning and budgets. Validation here is semantic (the schema checked the
// shapes): ranges, a distribution under a grid, conditions on unknown keys.
import { didYouMean, validate } from '../engine/schema';
import { Random } from '../engine/random';
import { experimentSchema, knownKeys, schemaAt, sweepReservedSchema, type ExperimentConfig } from './schema';
import { canonicalJson, deepMerge } from './config';

export type Distribution =
  | { kind: 'choice'; values: unknown[] }
  | { kind: 'uniform'; low: number; high: number }
  | { kind: 'loguniform'; low: number; high: number }
  | { kind: 'int'; low: number; high: number; log: boolean };

export interface ParamSpace {
  /** The dotted config key (or a section name whose values are mappings merged into it). */
  key: string;
  dist: Distribution;
  /** Applies only when each of these keys (swept earlier, or the base config's value) takes one of the listed values. */
  when?: Record<string, unknown[]>;
}

export interface PruneSpec {
  method: 'asha' | 'hyperband' | 'median';
  /** hyperband: the epochs its brackets are laid out for (default: the trial's train.epochs). */
  maxEpochs?: number;
  minEpochs: number;
  reductionFactor: number;
  /** An epoch-row metric: val/accuracy (default), val/loss, train/accuracy, train/loss. */
  metric: string;
  minTrials: number;
}

export interface SearchSpec {
  method: 'grid' | 'random' | 'tpe';
  /** random/tpe: configurations to sample (each runs once per fold). */
  trials?: number;
  seed: number;
  tpe: { startup: number; candidates: number; gamma: number };
  prune: PruneSpec | false;
  budget: { trials?: number; minutes?: number };
  space: ParamSpace[];
}

export const SWEEP_RESERVED = Object.keys(sweepReservedSchema);
export const TPE_DEFAULTS = { startup: 10, candidates: 24, gamma: 0.25 };

const isMap = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const DIST_KINDS = ['loguniform', 'uniform', 'int', 'choice'] as const;

/** The value a dotted key has in a config (undefined when absent). */
export function valueAt(config: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((o, k) => (isMap(o) ? o[k] : undefined), config);
}

/** Does a conditional key apply, given the params chosen so far and the base config? */
export function applies(p: ParamSpace, params: Record<string, unknown>, base: unknown): boolean {
  if (!p.when) return true;
  return Object.entries(p.when).every(([k, allowed]) => {
    const v = k in params ? params[k] : valueAt(base, k);
    const c = canonicalJson(v);
    return allowed.some((a) => canonicalJson(a) === c);
  });
}

/**
 * Read (and check) the sweep section. Pushes problems into `issues`, naming `sweep.<key>`;
 * returns the spec and the sweep map as it is resolved (defaults of a search filled in).
 */
export function parseSearch(config: ExperimentConfig, issues: string[]): { spec: SearchSpec; sweep: Record<string, unknown> } {
  const sweep = config.sweep;
  const method = (sweep.method as SearchSpec['method'] | undefined) ?? 'grid';
  const sampled = method !== 'grid';
  const space: ParamSpace[] = [];
  const configKeys = knownKeys(experimentSchema).filter((k) => !k.startsWith('sweep.') && !k.startsWith('tracking.'));
  for (const [key, raw] of Object.entries(sweep)) {
    if (SWEEP_RESERVED.includes(key) || raw === null) continue;
    const where = `sweep.${key}`;
    const node = schemaAt(experimentSchema, key);
    if (!node || key.startsWith('sweep') || key.startsWith('tracking')) {
      const hint = didYouMean(key, [...configKeys, ...SWEEP_RESERVED]);
      issues.push(`unknown key \`${where}\`: \`${key}\` is not a config key to sweep nor one of ${SWEEP_RESERVED.join(', ')}.${hint}`);
      continue;
    }
    const current = valueAt(config, key);
    // A mapping merges into its section: validate the merged result.
    const check = (v: unknown, at: string) => validate(node, isMap(v) && isMap(current) ? deepMerge(current, v) : v, at, issues);
    if (Array.isArray(raw)) {
      raw.forEach((v, i) => check(v, `${where}[${i}]`));
      space.push({ key, dist: { kind: 'choice', values: raw } });
      continue;
    }
    if (!isMap(raw)) continue; // the schema reported it
    const kinds = DIST_KINDS.filter((k) => raw[k] !== undefined);
    if (kinds.length !== 1) {
      issues.push(`\`${where}\` needs exactly one of ${DIST_KINDS.join(', ')}${kinds.length ? `, got ${kinds.join(' and ')}` : ''} (or a list of values)`);
      continue;
    }
    const kind = kinds[0];
    if (raw.log !== undefined && kind !== 'int') issues.push(`\`${where}.log\` applies to int only (use loguniform for floats)`);
    let dist: Distribution;
    if (kind === 'choice') {
      (raw.choice as unknown[]).forEach((v, i) => check(v, `${where}.choice[${i}]`));
      dist = { kind: 'choice', values: raw.choice as unknown[] };
    } else {
      const r = raw[kind] as number[];
      if (r.length !== 2) { issues.push(`\`${where}.${kind}\` must be [low, high], got ${r.length} numbers`); continue; }
      const [low, high] = r;
      if (!(low < high)) { issues.push(`\`${where}.${kind}\`: low ${low} must be below high ${high}`); continue; }
      if (node.type !== 'number') {
        issues.push(`\`${where}\`: ${kind} draws numbers but \`${key}\` is not a number; list its values instead (\`${key}: [a, b]\`)`);
        continue;
      }
      if (kind === 'loguniform' && low <= 0) { issues.push(`\`${where}.loguniform\`: low must be > 0 (a log scale), got ${low}`); continue; }
      if (kind === 'int' && !(Number.isInteger(low) && Number.isInteger(high))) { issues.push(`\`${where}.int\`: bounds must be integers, got [${low}, ${high}]`); continue; }
      if (kind === 'int' && raw.log === true && low < 1) { issues.push(`\`${where}.int\` with log: true needs low >= 1, got ${low}`); continue; }
      check(low, `${where}.${kind}[0]`);
      check(high, `${where}.${kind}[1]`);
      dist = kind === 'int' ? { kind, low, high, log: raw.log === true } : { kind, low, high };
    }
    if (!sampled && dist.kind !== 'choice') {
      issues.push(`\`${where}\`: {${kind}: ...} is a distribution, which a grid cannot enumerate. Set \`sweep.method: random\` or \`tpe\` (with \`sweep.trials: N\`), or list the values.`);
      continue;
    }
    const entry: ParamSpace = { key, dist };
    if (raw.when !== undefined) {
      const when = raw.when as Record<string, unknown[]>;
      for (const [ck, allowed] of Object.entries(when)) {
        if (!schemaAt(experimentSchema, ck) || ck.startsWith('sweep') || ck.startsWith('tracking')) {
          issues.push(`\`${where}.when\`: \`${ck}\` is not a config key.${didYouMean(ck, configKeys)}`);
          continue;
        }
        const earlier = space.find((p) => p.key === ck);
        if (!earlier && Object.keys(sweep).indexOf(ck) > Object.keys(sweep).indexOf(key)) {
          issues.push(`\`${where}.when\` depends on \`${ck}\`, which is swept after it: write \`${ck}\` first`);
          continue;
        }
        if (earlier?.dist.kind === 'choice') {
          const options = earlier.dist.values.map((v) => canonicalJson(v));
          for (const a of allowed) {
            if (!options.includes(canonicalJson(a))) {
              const hint = typeof a === 'string' ? didYouMean(a, earlier.dist.values.filter((v): v is string => typeof v === 'string')) : '';
              issues.push(`\`${where}.when\`: \`${ck}\` never takes ${JSON.stringify(a)} in this sweep (it takes ${earlier.dist.values.map((v) => JSON.stringify(v)).join(', ')}).${hint}`);
            }
          }
        }
      }
      entry.when = when;
    }
    space.push(entry);
  }
  const out: Record<string, unknown> = { ...sweep };
  if (sampled && sweep.trials === undefined) {
    issues.push(`\`sweep.method: ${method}\` needs \`sweep.trials: N\` (how many configurations to sample)`);
  }
  if (!sampled && sweep.trials !== undefined) issues.push('`sweep.trials` applies to method random or tpe; a grid runs every combination (cap it with `sweep.budget.trials`)');
  if (!sampled && sweep.seed !== undefined) issues.push('`sweep.seed` applies to method random or tpe');
  if (method !== 'tpe' && sweep.tpe !== undefined) issues.push(`\`sweep.tpe\` applies to method tpe, not ${method}`);
  if (sampled && space.length === 0) issues.push(`\`sweep.method: ${method}\` has nothing to sample: add keys with lists or distributions`);
  // (A predefined split may still bring its own validation rows.)
  const noVal = config.dataset?.split?.valFraction === 0 && config.dataset.split.kind !== 'predefined';
  if (method === 'tpe' && noVal) issues.push('`sweep.method: tpe` learns from validation accuracy: set `dataset.split.valFraction` > 0');
  const prune = sweep.prune as PruneSpec | false | undefined;
  if (prune && prune.method !== 'hyperband' && prune.maxEpochs !== undefined) issues.push(`\`sweep.prune.maxEpochs\` applies to method hyperband, not ${prune.method}`);
  if (prune && prune.metric.startsWith('val/') && noVal) issues.push(`\`sweep.prune.metric: ${prune.metric}\` needs a validation split: set \`dataset.split.valFraction\` > 0 or prune on train/loss`);
  if (sampled) {
    out.method = method;
    out.seed = sweep.seed ?? 0;
  }
  if (method === 'tpe') out.tpe = { ...TPE_DEFAULTS, ...(isMap(sweep.tpe) ? sweep.tpe : {}) };
  const spec: SearchSpec = {
    method, trials: sweep.trials as number | undefined, seed: (out.seed as number | undefined) ?? 0,
    tpe: (out.tpe as SearchSpec['tpe'] | undefined) ?? TPE_DEFAULTS,
    prune: isMap(sweep.prune) ? (sweep.prune as unknown as PruneSpec) : false,
    budget: isMap(sweep.budget) ? (sweep.budget as SearchSpec['budget']) : {},
    space,
  };
  return { spec, sweep: out };
}

/** The search spec of a resolved config (already validated by resolveConfig). */
export function searchSpec(config: ExperimentConfig): SearchSpec {
  const issues: string[] = [];
  const { spec } = parseSearch(config, issues);
  if (issues.length) throw new Error(`invalid sweep: ${issues.join('; ')}`);
  return spec;
}

/** Floats drawn by a search keep 4 significant digits: readable labels, no false precision. */
export function roundSample(x: number): number {
  return Number(x.toPrecision(4));
}

/** One value from a distribution, uniformly (log-uniformly for loguniform and int with log). */
export function sampleValue(d: Distribution, rng: Random): unknown {
  switch (d.kind) {
    case 'choice': return structuredClone(d.values[rng.int(d.values.length)]);
    case 'uniform': return roundSample(rng.uniform(d.low, d.high));
    case 'loguniform': return roundSample(Math.exp(rng.uniform(Math.log(d.low), Math.log(d.high))));
    case 'int': {
      const v = d.log ? Math.round(Math.exp(rng.uniform(Math.log(d.low - 0.5), Math.log(d.high + 0.5)))) : Math.floor(rng.uniform(d.low, d.high + 1));
      return Math.min(d.high, Math.max(d.low, v));
    }
  }
}

/** A random configuration: each applicable key drawn independently, in the order written. */
export function sampleRandom(space: ParamSpace[], rng: Random, base: unknown): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const p of space) {
    // Draw even when the key does not apply, so one key's condition does not shift the others' draws.
    const v = sampleValue(p.dist, rng.fork(p.key));
    if (applies(p, params, base)) params[p.key] = v;
  }
  return params;
}

/** The grid: the cross product of the lists (last key fastest); conditional keys dropped where they do not apply. */
export function gridPoints(space: ParamSpace[], base: unknown): Record<string, unknown>[] {
  let combos: Record<string, unknown>[] = [{}];
  for (const p of space) {
    const values = p.dist.kind === 'choice' ? p.dist.values : [];
    combos = combos.flatMap((c) => (applies(p, c, base) ? values.map((v) => ({ ...c, [p.key]: v })) : [c]));
  }
  const seen = new Set<string>();
  return combos.filter((c) => { const k = canonicalJson(c); if (seen.has(k)) return false; seen.add(k); return true; });
}
