// A small schema language for the experiment file. Each src/ folder declares
// the schema of its own section with these nodes; experiment/ composes them
// and validates the whole file. Errors name the dotted key and say what is
// expected ("did you mean" for unknown keys).

export type SchemaNode =
  | { type: 'string'; enum?: readonly string[]; default?: string; description?: string; nullable?: boolean }
  | { type: 'path'; default?: string; description?: string; nullable?: boolean }
  | { type: 'number'; min?: number; max?: number; integer?: boolean; default?: number; description?: string; nullable?: boolean }
  | { type: 'boolean'; default?: boolean; description?: string }
  | { type: 'object'; properties?: Record<string, SchemaNode>; values?: SchemaNode; description?: string; default?: Record<string, unknown>;
      /** Absent stays absent (otherwise an absent mapping is filled with its defaults). */ optional?: boolean }
  | { type: 'array'; items: SchemaNode; default?: unknown[]; description?: string; minItems?: number }
  | { type: 'oneOf'; options: readonly SchemaNode[]; default?: unknown; description?: string }
  | { type: 'literal'; value: string | number | boolean | null; description?: string }
  | { type: 'any'; default?: unknown; description?: string };

export class ConfigError extends Error {
  constructor(readonly problems: string[], readonly source?: string) {
    super(`${source ? `${source}: ` : ''}invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Levenshtein distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)] as number[]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

export function didYouMean(key: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = editDistance(key.toLowerCase(), c.toLowerCase());
    if (dist < bestD) { bestD = dist; best = c; }
  }
  const limit = Math.max(2, Math.floor(key.length / 3));
  return best !== undefined && bestD <= limit ? ` Did you mean \`${best}\`?` : '';
}

function describe(node: SchemaNode): string {
  switch (node.type) {
    case 'string': return node.enum ? `one of ${node.enum.map((e) => `'${e}'`).join(' | ')}` : 'a string';
    case 'path': return 'a path';
    case 'number': return node.integer ? 'an integer' : 'a number';
    case 'boolean': return 'true or false';
    case 'object': return 'a mapping';
    case 'array': return `a list of ${describe(node.items)}`;
    case 'oneOf': return node.options.map(describe).join(', or ');
    case 'literal': return JSON.stringify(node.value);
    case 'any': return 'any value';
  }
}

function show(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list ${JSON.stringify(v).slice(0, 60)}`;
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

export interface ValidateContext {
  /** Folder against which `path` values are resolved (the experiment file's folder). */
  baseDir?: string;
  resolvePath?: (p: string) => string;
}

/**
 * Validate `value` against `node`, filling defaults. Returns the resolved
 * value and pushes human-readable problems (keyed by dotted path) into `problems`.
 */
export function validate(node: SchemaNode, value: unknown, key: string, problems: string[], ctx: ValidateContext = {}): unknown {
  const where = key ? `\`${key}\`` : 'the file';
  if (value === undefined) {
    if ('default' in node && node.default !== undefined) value = structuredClone(node.default);
    else if (node.type === 'object' && node.properties && !node.optional) value = {};
    else return undefined;
  }
  switch (node.type) {
    case 'any':
      return value;
    case 'literal':
      if (value !== node.value) problems.push(`${where} must be ${describe(node)}, got ${show(value)}`);
      return value;
    case 'string':
    case 'path': {
      if (value === null && node.nullable) return null;
      if (typeof value === 'number' && node.type === 'string' && !('enum' in node && node.enum)) value = String(value);
      if (typeof value !== 'string') { problems.push(`${where} must be ${describe(node)}, got ${show(value)}`); return value; }
      if (node.type === 'string' && node.enum && !node.enum.includes(value)) {
        problems.push(`${where} must be ${describe(node)}, got '${value}'.${didYouMean(value, node.enum)}`);
      }
      if (node.type === 'path' && ctx.resolvePath) return ctx.resolvePath(value);
      return value;
    }
    case 'number': {
      if (value === null && node.nullable) return null;
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) value = Number(value);
      if (typeof value !== 'number' || Number.isNaN(value)) { problems.push(`${where} must be ${describe(node)}, got ${show(value)}`); return value; }
      if (node.integer && !Number.isInteger(value)) problems.push(`${where} must be an integer, got ${value}`);
      if (node.min !== undefined && value < node.min) problems.push(`${where} must be >= ${node.min}, got ${value}`);
      if (node.max !== undefined && value > node.max) problems.push(`${where} must be <= ${node.max}, got ${value}`);
      return value;
    }
    case 'boolean':
      if (typeof value !== 'boolean') problems.push(`${where} must be true or false, got ${show(value)}`);
      return value;
    case 'array': {
      if (!Array.isArray(value)) { problems.push(`${where} must be ${describe(node)}, got ${show(value)}`); return value; }
      if (node.minItems !== undefined && value.length < node.minItems) problems.push(`${where} needs at least ${node.minItems} item(s)`);
      return value.map((v, i) => validate(node.items, v, `${key}[${i}]`, problems, ctx));
    }
    case 'object': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        problems.push(`${where} must be a mapping (key: value), got ${show(value)}`);
        return value;
      }
      const obj = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      const props = node.properties ?? {};
      for (const [k, v] of Object.entries(obj)) {
        const sub = key ? `${key}.${k}` : k;
        if (k in props) continue;
        if (node.values) { out[k] = validate(node.values, v, sub, problems, ctx); continue; }
        const known = Object.keys(props);
        problems.push(`unknown key \`${sub}\`.${didYouMean(k, known)} Known keys${key ? ` of \`${key}\`` : ''}: ${known.join(', ')}`);
      }
      for (const [k, sub] of Object.entries(props)) {
        const r = validate(sub, obj[k], key ? `${key}.${k}` : k, problems, ctx);
        if (r !== undefined) out[k] = r;
      }
      return out;
    }
    case 'oneOf': {
      // First option that validates cleanly wins; otherwise report the expectation once.
      for (const opt of node.options) {
        const p: string[] = [];
        const r = validate(opt, value, key, p, ctx);
        if (p.length === 0) return r;
      }
      // A mapping that failed only on inner keys deserves the inner messages.
      const objOpt = node.options.find((o) => o.type === 'object');
      if (objOpt && value !== null && typeof value === 'object' && !Array.isArray(value)) {
        return validate(objOpt, value, key, problems, ctx);
      }
      problems.push(`${where} must be ${describe(node)}, got ${show(value)}`);
      return value;
    }
  }
}
