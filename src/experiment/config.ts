// Experiment file -> resolved config: YAML, then the chosen profile, then
// `--set key=value` overrides (values parsed as YAML), then validation with
// defaults. Relative paths in the file resolve against the file's folder;
// paths given with --set resolve against the current directory.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import YAML from 'yaml';
import { ConfigError, didYouMean, validate, type SchemaNode } from '../engine/schema';
import { experimentSchema, knownKeys, schemaAt, type ExperimentConfig } from './schema';
import { DATASET_RUNTIME_KEYS } from '../data/schema';
import { sslConfigProblems } from '../train/ssl/schema';
import { resolveModelConfig } from '../models/resolve';
import { isPublishedRef, parsePretrainedSpec } from '../models/import/spec';
import { parseSearch, SWEEP_RESERVED } from './search-space';
import { isUri, resolveDatasetInputPaths } from '../data/paths';

export interface LoadOptions {
  /** `key=value` strings or a key -> value map (values as YAML text or already parsed). */
  set?: string[] | Record<string, unknown>;
  /** Profile name; default CELLAB_PROFILE. */
  profile?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface ResolvedExperiment {
  config: ExperimentConfig;
  /** Absolute path of the experiment file (undefined for in-memory configs). */
  file?: string;
  baseDir: string;
  profile?: string;
  /** The overrides applied, as given. */
  overrides: Record<string, unknown>;
}

type Json = Record<string, unknown>;

function isMap(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Deep merge: maps merge key by key, anything else replaces. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isMap(base) || !isMap(over)) return structuredClone(over);
  const out: Json = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = k in base ? deepMerge(base[k], v) : structuredClone(v);
  return out;
}

export function parseYaml(text: string, file: string): unknown {
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length) {
    const problems = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      return `${pos ? `line ${pos.line}, column ${pos.col}: ` : ''}${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`;
    });
    throw new ConfigError(problems, file);
  }
  return doc.toJS();
}

/**
 * `a.b=1` -> ['a.b', 1]; the value is YAML (`[0.1, 0.01]`, `true`, `null`, `abc`). Text YAML
 * refuses but that is plainly a string (`@lab`) stays a string; a value with YAML structure
 * that does not parse (an unclosed `[`, `{` or quote) is an error naming the key, and so is
 * a ` #` that YAML would read as a comment, silently cutting the value.
 */
export function parseSet(expr: string): [string, unknown] {
  const eq = expr.indexOf('=');
  if (eq <= 0) throw new ConfigError([`--set ${expr}: expected key=value (e.g. --set train.epochs=2)`]);
  const key = expr.slice(0, eq).trim();
  const raw = expr.slice(eq + 1);
  if (raw.trim() === '') return [key, ''];
  const quoteIt = `quote the whole value to mean a string (--set ${key}='"${raw.replace(/"/g, '\\"')}"')`;
  if ([...new YAML.Lexer().lex(raw)].some((token) => token.startsWith('#'))) {
    throw new ConfigError([`--set ${key}=${raw}: YAML reads \`#\` after a space as the start of a comment, which would drop the rest; ${quoteIt}`]);
  }
  const doc = YAML.parseDocument(raw);
  let why = doc.errors[0]?.message;
  if (!why) {
    try {
      return [key, doc.toJS()];
    } catch (err) {
      why = (err as Error).message; // e.g. an alias `*x` with no anchor
    }
  } else if (!/[[\]{}"']|:\s|^\s*[-?*&!|>%]/.test(raw)) {
    return [key, raw];
  }
  why = why.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  throw new ConfigError([`--set ${key}=${raw}: not valid YAML (${why}). Fix the brackets or quotes, or ${quoteIt}`]);
}

function normaliseSets(set: LoadOptions['set']): Record<string, unknown> {
  if (!set) return {};
  if (Array.isArray(set)) return Object.fromEntries(set.map(parseSet));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(set)) out[k] = typeof v === 'string' ? parseSet(`${k}=${v}`)[1] : v;
  return out;
}

/** Apply one dotted override. `sweep.<dotted key>` addresses the flat sweep map; `sweep.budget.trials` its reserved keys. */
export function applyOverride(target: Json, key: string, value: unknown): void {
  if (key.startsWith('sweep.')) {
    const sweepKey = key.slice('sweep.'.length);
    const sweep = (isMap(target.sweep) ? target.sweep : (target.sweep = {})) as Json;
    if (SWEEP_RESERVED.includes(sweepKey.split('.')[0]) && sweepKey.includes('.')) {
      applyOverride(sweep, sweepKey, value);
      return;
    }
    if (value === null) delete sweep[sweepKey];
    else sweep[sweepKey] = value;
    return;
  }
  const parts = key.split('.');
  let node: Json = target;
  for (const p of parts.slice(0, -1)) {
    if (!isMap(node[p])) node[p] = {};
    node = node[p] as Json;
  }
  const last = parts[parts.length - 1];
  // A mapping merges into a mapping (`sweep: {model: [{freeze: soft}, {head: linear}]}` varies
  // several keys of a section together); anything else replaces.
  node[last] = isMap(node[last]) && isMap(value) ? deepMerge(node[last], value) : value;
}

function checkOverrideKey(key: string): string | undefined {
  if (key.startsWith('sweep.')) {
    const sub = key.slice('sweep.'.length);
    if (SWEEP_RESERVED.includes(sub.split('.')[0])) {
      return schemaAt(experimentSchema, key) ? undefined : `--set ${key}: unknown key.${didYouMean(key, knownKeys(experimentSchema))}`;
    }
    return schemaAt(experimentSchema, sub) ? undefined
      : `--set ${key}: \`${sub}\` is not a config key to sweep.${didYouMean(sub, knownKeys(experimentSchema))}`;
  }
  if (schemaAt(experimentSchema, key)) return undefined;
  return `--set ${key}: unknown key.${didYouMean(key, knownKeys(experimentSchema))}`;
}

/** Make --set path values absolute against the current directory. */
function resolveSetPaths(key: string, value: unknown, cwd: string): unknown {
  const node = schemaAt(experimentSchema, key);
  if (node?.type === 'path' && typeof value === 'string') return resolvePathValue(value, cwd);
  return value;
}

/** A path value: URIs stay; `torchvision:resnet18=PATH` resolves its PATH; plain paths resolve against `base`. */
function resolvePathValue(p: string, base: string): string {
  const weights = /^((?:torchvision|timm):[^=]+)=(.+)$/.exec(p);
  if (weights) return `${weights[1]}=${path.resolve(base, weights[2])}`;
  return isUri(p) ? p : path.resolve(base, p);
}

/**
 * Published weights named without a path (`torchvision:resnet18`) must be in
 * the weights cache before anything runs: one error listing what to fetch.
 */
function checkPublishedWeights(config: ExperimentConfig, issues: string[], env: NodeJS.ProcessEnv): void {
  const refs: { value: string; backbone: string; where: string }[] = [];
  const add = (m: Partial<ExperimentConfig['model']> | undefined, where: string) => {
    const value = m?.pretrained ?? config.model.pretrained;
    if (typeof value === 'string' && isPublishedRef(value)) refs.push({ value, backbone: m?.backbone ?? config.model.backbone, where });
  };
  add(config.model, 'model.pretrained');
  for (const [key, values] of Object.entries(config.sweep ?? {})) {
    if (!Array.isArray(values)) continue;   // search settings (method, trials, ...)
    if (key === 'model') values.forEach((v, i) => add(v as Partial<ExperimentConfig['model']>, `sweep.model[${i}].pretrained`));
    if (key === 'model.pretrained') values.forEach((v, i) => add({ pretrained: v as string }, `sweep.model.pretrained[${i}]`));
  }
  for (const r of refs) {
    try {
      parsePretrainedSpec(r.value, r.backbone, env);
    } catch (err) {
      issues.push(`${r.where}: ${(err as Error).message.replace(/^model\.pretrained: /, '')}`);
    }
  }
}

/**
 * The model's width written into the config (its backbone's default when
 * absent: the run's params and config hash then name the net trained). When
 * the backbone is swept, each trial is resolved on expansion instead.
 */
export function resolveModel(config: ExperimentConfig, issues: string[] = []): ExperimentConfig {
  const swept = Object.keys(config.sweep ?? {}).some((k) => k === 'model' || k === 'model.backbone');
  if (swept) return config;
  try {
    config.model = resolveModelConfig(config.model);
  } catch (err) {
    issues.push(`model.backbone: ${(err as Error).message}`);
  }
  return config;
}

export function resolveConfig(raw: unknown, o: LoadOptions & { file?: string; baseDir: string }): ResolvedExperiment {
  const env = o.env ?? process.env;
  const cwd = o.cwd ?? process.cwd();
  const source = o.file ?? 'experiment';
  if (!isMap(raw)) throw new ConfigError(['the experiment file must be a mapping of sections (name, dataset, model, train, ...)'], source);
  const { profiles, ...base } = raw;
  const profile = o.profile ?? (env.CELLAB_PROFILE || undefined);
  let merged: Json = base;
  if (profile) {
    const available = isMap(profiles) ? Object.keys(profiles) : [];
    if (!isMap(profiles) || !(profile in profiles)) {
      throw new ConfigError([`profile \`${profile}\` is not defined.${didYouMean(profile, available)} Available: ${available.join(', ') || '(none)'}`], source);
    }
    merged = deepMerge(base, profiles[profile]) as Json;
    // A profile drops a swept key with null, as --set sweep.<key>=null does.
    if (isMap(merged.sweep)) for (const [k, v] of Object.entries(merged.sweep)) if (v === null) delete (merged.sweep as Json)[k];
  } else if (profiles !== undefined && !isMap(profiles)) {
    throw new ConfigError(['`profiles` must be a mapping of profile name to overrides'], source);
  }
  const overrides = normaliseSets(o.set);
  const problems = Object.keys(overrides).map(checkOverrideKey).filter((p): p is string => !!p);
  if (problems.length) throw new ConfigError(problems, source);
  for (const [k, v] of Object.entries(overrides)) applyOverride(merged, k, resolveSetPaths(k, v, cwd));
  const issues: string[] = [];
  // Inputs that live with the images (manifest, mask.dir) resolve against dataset.root first.
  if ('dataset' in merged) merged.dataset = resolveDatasetInputPaths(merged.dataset, o.baseDir, issues);
  const config = validate(experimentSchema, merged, '', issues, {
    resolvePath: (p) => resolvePathValue(p, o.baseDir),
  }) as ExperimentConfig;
  if (!config.name) {
    config.name = o.file ? path.basename(o.file).replace(/\.(ya?ml)$/i, '') : 'experiment';
  }
  checkSweepKeys(config, issues);
  if (!issues.length) issues.push(...sslConfigProblems(config.train, config.model.head));
  if (!issues.length) resolveModel(config, issues);
  if (!issues.length) checkPublishedWeights(config, issues, env);
  if (issues.length) throw new ConfigError(issues, source);
  return { config, file: o.file, baseDir: o.baseDir, profile, overrides };
}

function checkSweepKeys(config: ExperimentConfig, issues: string[]): void {
  // The sweep as resolved: a search's defaults (method, seed, tpe settings) filled in.
  config.sweep = parseSearch(config, issues).sweep;
}

export function loadExperimentFile(file: string, o: LoadOptions = {}): ResolvedExperiment {
  const abs = path.resolve(o.cwd ?? process.cwd(), file);
  let text: string;
  try {
    text = fs.readFileSync(abs, 'utf8');
  } catch (err) {
    throw new ConfigError([`cannot read the experiment file: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`], abs);
  }
  return resolveConfig(parseYaml(text, abs), { ...o, file: abs, baseDir: path.dirname(abs) });
}

/**
 * The sweep's identity for `--resume` and shards: everything but how far it goes (`trials`,
 * `budget`), so a search resumed with a larger budget is the same search, continued.
 */
export function sweepIdentity(sweep: Record<string, unknown>): Record<string, unknown> {
  const { trials: _n, budget: _b, ...rest } = sweep;
  return rest;
}

/** Keys that do not change what a trial computes: excluded from the config hash. */
function hashable(config: ExperimentConfig, projectRoot?: string): unknown {
  const { tracking: _t, sweep: _s, ...rest } = config;
  // Cache, streaming and worker settings change speed, not results (--resume must still match).
  const dataset: Record<string, unknown> = { ...rest.dataset };
  for (const k of DATASET_RUNTIME_KEYS) delete dataset[k];
  return relativise({ ...rest, dataset }, projectRoot);
}

function relativise(v: unknown, root?: string): unknown {
  if (typeof v === 'string' && root && path.isAbsolute(v) && (v === root || v.startsWith(root + path.sep))) {
    return path.relative(root, v) || '.';
  }
  if (Array.isArray(v)) return v.map((x) => relativise(x, root));
  if (isMap(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, relativise(x, root)]));
  return v;
}

/** Canonical JSON: keys sorted, so equal configs hash equally. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isMap(v)) return `{${Object.keys(v).sort().filter((k) => v[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** `cellab.config_hash`: the resolved config without tracking/runtime keys. */
export function configHash(config: ExperimentConfig, extra: Record<string, unknown> = {}, projectRoot?: string): string {
  return createHash('sha256').update(canonicalJson({ config: hashable(config, projectRoot), ...extra })).digest('hex').slice(0, 16);
}

/** The resolved config as YAML (logged as config.yaml beside every run). */
export function configToYaml(config: ExperimentConfig): string {
  return YAML.stringify(config, { lineWidth: 0 });
}

/** Flatten to dotted keys for MLflow params: {train: {lr: 1}} -> {'train.lr': 1}. */
export function flattenConfig(v: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (isMap(v) && Object.keys(v).length) {
    for (const [k, x] of Object.entries(v)) flattenConfig(x, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) {
    out[prefix] = v;
  }
  return out;
}

export { schemaAt };
export type { SchemaNode };
