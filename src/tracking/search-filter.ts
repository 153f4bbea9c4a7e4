// MLflow's search syntax for runs, evaluated in memory (local stores):
//   metrics.`val/accuracy` > 0.8 AND params.`train.lr` = '0.001' AND tags.x LIKE 'a%'
//   attributes.status = 'FINISHED', attributes.run_id IN ('a', 'b')
// and order_by clauses (`metrics.x DESC`), with MLflow's tie-breakers.
import type { RunRecord } from './types';

type Kind = 'metric' | 'param' | 'tag' | 'attribute' | 'dataset';
type Op = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN' | 'IS NULL' | 'IS NOT NULL';

export interface Clause {
  kind: Kind;
  key: string;
  op: Op;
  value?: string | number | string[];
}

export interface OrderKey {
  kind: Kind;
  key: string;
  ascending: boolean;
}

const PREFIXES: Record<string, Kind> = {
  metric: 'metric', metrics: 'metric',
  param: 'param', params: 'param', parameter: 'param', parameters: 'param',
  tag: 'tag', tags: 'tag',
  attribute: 'attribute', attributes: 'attribute', attr: 'attribute', run: 'attribute',
  dataset: 'dataset', datasets: 'dataset',
};
const STRING_ATTRIBUTES = ['run_id', 'run_name', 'status', 'user_id', 'artifact_uri', 'lifecycle_stage'];
const NUMERIC_ATTRIBUTES = ['start_time', 'end_time'];
const ATTRIBUTE_ALIASES: Record<string, string> = { created: 'start_time', Created: 'start_time', run_uuid: 'run_id', 'run name': 'run_name', 'Run name': 'run_name' };
const DATASET_KEYS = ['name', 'digest', 'context'];

export class FilterError extends Error {
  constructor(message: string, readonly text: string) {
    super(`${message} (in \`${text}\`)`);
    this.name = 'FilterError';
  }
}

type Token = { t: 'ident'; v: string } | { t: 'str'; v: string } | { t: 'num'; v: number } | { t: 'op'; v: string } | { t: 'punct'; v: string } | { t: 'word'; v: string };

function tokenize(s: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const readQuoted = (q: string): string => {
    let v = '';
    i++;
    while (i < s.length && s[i] !== q) {
      if (s[i] === '\\' && i + 1 < s.length) { v += s[i + 1]; i += 2; continue; }
      v += s[i++];
    }
    if (i >= s.length) throw new FilterError(`unclosed ${q}`, s);
    i++;
    return v;
  };
  while (i < s.length) {
    const c = s[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === "'") { out.push({ t: 'str', v: readQuoted("'") }); continue; }
    if (c === '(' || c === ')' || c === ',') { out.push({ t: 'punct', v: c }); i++; continue; }
    const op = /^(!=|<>|<=|>=|==|=|<|>)/.exec(s.slice(i));
    if (op) { out.push({ t: 'op', v: op[1] === '==' ? '=' : op[1] === '<>' ? '!=' : op[1] }); i += op[1].length; continue; }
    const num = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(s.slice(i));
    if (num && !/^[\w.]/.test(s.slice(i + num[0].length))) { out.push({ t: 'num', v: Number(num[0]) }); i += num[0].length; continue; }
    // An identifier: prefix.key where key is `backquoted`, "double quoted" or bare.
    const pre = /^([A-Za-z_]+)\./.exec(s.slice(i));
    if (pre) {
      i += pre[0].length;
      let key: string;
      if (s[i] === '`' || s[i] === '"') key = readQuoted(s[i]);
      else {
        const bare = /^[\w.:/-]+/.exec(s.slice(i));
        if (!bare) throw new FilterError(`expected a key after '${pre[0]}'`, s);
        key = bare[0];
        i += key.length;
      }
      out.push({ t: 'ident', v: `${pre[1]}\u0000${key}` });
      continue;
    }
    if (c === '"') { out.push({ t: 'str', v: readQuoted('"') }); continue; }
    const word = /^[A-Za-z_]\w*/.exec(s.slice(i));
    if (word) { out.push({ t: 'word', v: word[0] }); i += word[0].length; continue; }
    throw new FilterError(`unexpected character '${c}' at position ${i}`, s);
  }
  return out;
}

function identifier(tok: Token | undefined, text: string): { kind: Kind; key: string } {
  if (!tok || tok.t !== 'ident') {
    throw new FilterError(`expected an identifier like metrics.accuracy, params.\`train.lr\`, tags.x or attributes.status${tok ? `, got '${tok.v}'` : ''}`, text);
  }
  const [prefix, rawKey] = tok.v.split('\u0000');
  const kind = PREFIXES[prefix.toLowerCase()];
  if (!kind) throw new FilterError(`unknown prefix '${prefix}.': use metrics., params., tags., attributes. or datasets.`, text);
  let key = rawKey;
  if (kind === 'attribute') {
    key = ATTRIBUTE_ALIASES[key] ?? key;
    if (![...STRING_ATTRIBUTES, ...NUMERIC_ATTRIBUTES].includes(key)) {
      throw new FilterError(`unknown attribute '${rawKey}'. Known: ${[...STRING_ATTRIBUTES, ...NUMERIC_ATTRIBUTES].join(', ')}`, text);
    }
  }
  if (kind === 'dataset' && !DATASET_KEYS.includes(key)) throw new FilterError(`unknown dataset key '${key}'. Known: ${DATASET_KEYS.join(', ')}`, text);
  return { kind, key };
}

function isNumericKey(kind: Kind, key: string): boolean {
  return kind === 'metric' || (kind === 'attribute' && NUMERIC_ATTRIBUTES.includes(key));
}

/** Parse a filter string into AND-ed clauses (empty filter: no clauses). */
export function parseFilter(text: string | undefined): Clause[] {
  if (!text || !text.trim()) return [];
  const toks = tokenize(text);
  const clauses: Clause[] = [];
  let i = 0;
  for (;;) {
    const { kind, key } = identifier(toks[i++], text);
    const opTok = toks[i++];
    let op: Op;
    if (opTok?.t === 'op') op = opTok.v as Op;
    else if (opTok?.t === 'word') {
      const w = opTok.v.toUpperCase();
      if (w === 'LIKE' || w === 'ILIKE' || w === 'IN') op = w;
      else if (w === 'NOT' && toks[i]?.t === 'word' && String(toks[i].v).toUpperCase() === 'IN') { i++; op = 'NOT IN'; }
      else if (w === 'IS') {
        const nt = toks[i++];
        if (nt?.t === 'word' && nt.v.toUpperCase() === 'NULL') op = 'IS NULL';
        else if (nt?.t === 'word' && nt.v.toUpperCase() === 'NOT' && toks[i]?.t === 'word' && String(toks[i].v).toUpperCase() === 'NULL') { i++; op = 'IS NOT NULL'; }
        else throw new FilterError('expected IS NULL or IS NOT NULL', text);
      } else throw new FilterError(`unknown comparator '${opTok.v}'`, text);
    } else throw new FilterError(`expected a comparator after ${kind}s.${key}`, text);

    const numeric = isNumericKey(kind, key);
    const allowed: Op[] = numeric ? ['=', '!=', '<', '<=', '>', '>='] : ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'];
    if (kind === 'param' || kind === 'tag') allowed.push('IS NULL', 'IS NOT NULL');
    if (!allowed.includes(op)) {
      throw new FilterError(`comparator '${op}' cannot be used with ${kind} '${key}'; use one of ${allowed.join(', ')}`, text);
    }
    let value: Clause['value'];
    if (op === 'IN' || op === 'NOT IN') {
      if (toks[i]?.t !== 'punct' || toks[i].v !== '(') throw new FilterError(`expected ( after ${op}`, text);
      i++;
      const list: string[] = [];
      while (toks[i] && !(toks[i].t === 'punct' && toks[i].v === ')')) {
        const v = toks[i++];
        if (v.t !== 'str') throw new FilterError(`${op} takes a list of quoted strings`, text);
        list.push(v.v);
        if (toks[i]?.t === 'punct' && toks[i].v === ',') i++;
      }
      if (!toks[i]) throw new FilterError(`unclosed ( after ${op}`, text);
      i++;
      value = list;
    } else if (op !== 'IS NULL' && op !== 'IS NOT NULL') {
      const v = toks[i++];
      if (!v) throw new FilterError(`expected a value after ${op}`, text);
      if (numeric) {
        if (v.t !== 'num') throw new FilterError(`${kind} '${key}' is compared with numbers, got ${v.t === 'str' ? `'${v.v}'` : v.v}`, text);
        value = v.v;
      } else {
        if (v.t !== 'str') throw new FilterError(`${kind} '${key}' is compared with quoted strings, got ${v.v}`, text);
        value = v.v;
      }
    }
    clauses.push({ kind, key, op, value });
    const next = toks[i++];
    if (!next) break;
    if (next.t === 'word' && next.v.toUpperCase() === 'AND') continue;
    if (next.t === 'word' && next.v.toUpperCase() === 'OR') throw new FilterError('MLflow filters only support AND', text);
    throw new FilterError(`expected AND, got '${next.v}'`, text);
  }
  return clauses;
}

function likeRegex(pattern: string, insensitive: boolean): RegExp {
  const body = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
  return new RegExp(`^${body}$`, insensitive ? 'is' : 's');
}

function attributeValue(run: RunRecord, key: string): string | number | undefined {
  const i = run.info;
  switch (key) {
    case 'run_id': return i.runId;
    case 'run_name': return i.runName;
    case 'status': return i.status;
    case 'user_id': return i.userId;
    case 'artifact_uri': return i.artifactUri;
    case 'lifecycle_stage': return i.lifecycleStage;
    case 'start_time': return i.startTime;
    case 'end_time': return i.endTime;
  }
  return undefined;
}

function compareString(actual: string | undefined, op: Op, value: Clause['value']): boolean {
  if (op === 'IS NULL') return actual === undefined;
  if (op === 'IS NOT NULL') return actual !== undefined;
  if (actual === undefined) return false;
  switch (op) {
    case '=': return actual === value;
    case '!=': return actual !== value;
    case 'LIKE': return likeRegex(String(value), false).test(actual);
    case 'ILIKE': return likeRegex(String(value), true).test(actual);
    case 'IN': return (value as string[]).includes(actual);
    case 'NOT IN': return !(value as string[]).includes(actual);
  }
  return false;
}

function compareNumber(actual: number | undefined, op: Op, value: number): boolean {
  if (actual === undefined) return false;
  switch (op) {
    case '=': return actual === value;
    case '!=': return actual !== value;
    case '<': return actual < value;
    case '<=': return actual <= value;
    case '>': return actual > value;
    case '>=': return actual >= value;
  }
  return false;
}

function matches(run: RunRecord, c: Clause): boolean {
  switch (c.kind) {
    case 'metric': return compareNumber(run.metrics[c.key], c.op, c.value as number);
    case 'param': return compareString(run.params[c.key], c.op, c.value);
    case 'tag': return compareString(run.tags[c.key], c.op, c.value);
    case 'attribute': {
      const v = attributeValue(run, c.key);
      return NUMERIC_ATTRIBUTES.includes(c.key) ? compareNumber(v as number | undefined, c.op, c.value as number) : compareString(v as string | undefined, c.op, c.value);
    }
    case 'dataset':
      return run.inputs.some((d) => compareString(c.key === 'name' ? d.name : c.key === 'digest' ? d.digest : d.context, c.op, c.value));
  }
}

export function matchesFilter(run: RunRecord, clauses: Clause[]): boolean {
  return clauses.every((c) => matches(run, c));
}

/** `metrics.\`val/accuracy\` DESC` -> {kind: 'metric', key: 'val/accuracy', ascending: false}. */
export function parseOrderBy(text: string): OrderKey {
  const m = /^(.*?)(?:\s+(ASC|DESC))?\s*$/i.exec(text.trim());
  const toks = tokenize(m?.[1] ?? '');
  if (toks.length !== 1) throw new FilterError('order_by takes one identifier and optionally ASC or DESC', text);
  const { kind, key } = identifier(toks[0], text);
  return { kind, key, ascending: (m?.[2] ?? 'ASC').toUpperCase() === 'ASC' };
}

function sortValue(run: RunRecord, o: OrderKey): string | number | undefined {
  switch (o.kind) {
    case 'metric': return run.metrics[o.key];
    case 'param': return run.params[o.key];
    case 'tag': return run.tags[o.key];
    case 'attribute': return attributeValue(run, o.key);
    case 'dataset': return undefined;
  }
}

/** Sort as MLflow does: the given keys (missing values and NaN last), then start_time DESC, then run_id. */
export function sortRuns(runs: RunRecord[], orderBy: string[] = []): RunRecord[] {
  const keys = orderBy.map(parseOrderBy);
  if (!keys.some((k) => k.kind === 'attribute' && k.key === 'start_time')) keys.push({ kind: 'attribute', key: 'start_time', ascending: false });
  keys.push({ kind: 'attribute', key: 'run_id', ascending: true });
  return [...runs].sort((a, b) => {
    for (const k of keys) {
      const va = sortValue(a, k), vb = sortValue(b, k);
      const missA = va === undefined || (typeof va === 'number' && Number.isNaN(va));
      const missB = vb === undefined || (typeof vb === 'number' && Number.isNaN(vb));
      if (missA && missB) continue;
      if (missA) return 1;
      if (missB) return -1;
      const c = typeof va === 'number' && typeof vb === 'number' ? va - vb : String(va) < String(vb) ? -1 : String(va) > String(vb) ? 1 : 0;
      if (c !== 0) return k.ascending ? c : -c;
    }
    return 0;
  });
}
