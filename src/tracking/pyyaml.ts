// meta.yaml files written byte-for-byte as MLflow's Python file store writes
// them: PyYAML `safe_dump(default_flow_style=False, allow_unicode=True)` with
// sorted keys, its plain-vs-quoted choice (YAML 1.1 resolvers) and its folding
// of long single-quoted scalars at 80 columns. Read back with YAML 1.1 rules.
import { isScalar, parseDocument, visit } from 'yaml';

export type YamlScalar = string | number | boolean | null;
export type YamlValue = YamlScalar | YamlScalar[] | { [k: string]: YamlValue };

const BEST_WIDTH = 80;
const INDENT = 2;

// PyYAML's implicit resolvers: a plain scalar matching one of these would not read back as a string.
const RESOLVE = {
  bool: /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  float: /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
  int: /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/,
  merge: /^(?:<<)$/,
  null: /^(?:~|null|Null|NULL|)$/,
  timestamp: /^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$/,
  value: /^(?:=)$/,
};
const IMPLICIT = Object.values(RESOLVE);

/** A plain scalar as PyYAML's SafeLoader reads it (timestamps stay strings). */
function resolvePlain(s: string): YamlScalar {
  if (RESOLVE.null.test(s)) return null;
  if (RESOLVE.bool.test(s)) return /^(?:yes|true|on)$/i.test(s);
  if (RESOLVE.int.test(s) && !s.includes(':')) {
    const t = s.replace(/_/g, '');
    const sign = t.startsWith('-') ? -1 : 1;
    const u = t.replace(/^[-+]/, '');
    if (u.startsWith('0b')) return sign * parseInt(u.slice(2), 2);
    if (u.startsWith('0x')) return sign * parseInt(u.slice(2), 16);
    if (u.length > 1 && u.startsWith('0')) return sign * parseInt(u, 8);
    return sign * Number(u);
  }
  if (RESOLVE.float.test(s) && !s.includes(':')) {
    const t = s.replace(/_/g, '').toLowerCase();
    if (t.endsWith('.nan')) return NaN;
    if (t.endsWith('.inf')) return t.startsWith('-') ? -Infinity : Infinity;
    return Number(t);
  }
  return s;
}

const BREAKS = '\n\x85\u2028\u2029';
const WHITESPACE = '\0 \t\r' + BREAKS;

interface Analysis { multiline: boolean; plain: boolean; singleQuoted: boolean }

// PyYAML Emitter.analyze_scalar, for the block context we write in.
function analyze(s: string): Analysis {
  if (s === '') return { multiline: false, plain: false, singleQuoted: true };
  let blockIndicators = s.startsWith('---') || s.startsWith('...');
  let lineBreaks = false, special = false;
  let leadingSpace = false, leadingBreak = false, trailingSpace = false, trailingBreak = false;
  let breakSpace = false, spaceBreak = false, previousSpace = false, previousBreak = false;
  const chars = [...s];
  let precededByWs = true;
  let followedByWs = chars.length === 1 || WHITESPACE.includes(chars[1]);
  chars.forEach((ch, i) => {
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true;
      if ('?:'.includes(ch) && followedByWs) blockIndicators = true;
      if (ch === '-' && followedByWs) blockIndicators = true;
    } else {
      if (ch === ':' && followedByWs) blockIndicators = true;
      if (ch === '#' && precededByWs) blockIndicators = true;
    }
    if (BREAKS.includes(ch)) lineBreaks = true;
    const code = ch.codePointAt(0)!;
    if (!(ch === '\n' || (code >= 0x20 && code <= 0x7e))) {
      const printable = (code === 0x85 || (code >= 0xa0 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) ||
        (code >= 0x10000 && code < 0x10ffff)) && code !== 0xfeff;
      if (!printable) special = true;
    }
    if (ch === ' ') {
      if (i === 0) leadingSpace = true;
      if (i === chars.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true; previousBreak = false;
    } else if (BREAKS.includes(ch)) {
      if (i === 0) leadingBreak = true;
      if (i === chars.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false; previousBreak = true;
    } else {
      previousSpace = false; previousBreak = false;
    }
    precededByWs = WHITESPACE.includes(ch);
    followedByWs = i + 2 >= chars.length || WHITESPACE.includes(chars[i + 2]);
  });
  let plain = true, singleQuoted = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) plain = false;
  if (breakSpace) plain = singleQuoted = false;
  if (spaceBreak || special) plain = singleQuoted = false;
  if (lineBreaks) plain = false;
  if (blockIndicators) plain = false;
  return { multiline: lineBreaks, plain, singleQuoted };
}

// PyYAML Emitter.write_single_quoted: a lone space past column 80 becomes a line break + indent.
function singleQuoted(text: string, column: number, indent: number): string {
  let out = "'";
  column += 1;
  let spaces = false;
  let start = 0;
  for (let end = 0; end <= text.length; end++) {
    const ch = end < text.length ? text[end] : undefined;
    if (spaces) {
      if (ch === undefined || ch !== ' ') {
        if (start + 1 === end && column > BEST_WIDTH && start !== 0 && end !== text.length) {
          out += '\n' + ' '.repeat(indent);
          column = indent;
        } else {
          out += text.slice(start, end);
          column += end - start;
        }
        start = end;
      }
    } else if (ch === undefined || ch === ' ' || ch === "'") {
      if (start < end) {
        out += text.slice(start, end);
        column += end - start;
        start = end;
      }
    }
    if (ch === "'") {
      out += "''";
      column += 2;
      start = end + 1;
    }
    if (ch !== undefined) spaces = ch === ' ';
  }
  return out + "'";
}

function scalar(v: YamlScalar, column: number, indent: number, isKey: boolean): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return String(v);
    if (Number.isNaN(v)) return '.nan';
    if (!Number.isFinite(v)) return v > 0 ? '.inf' : '-.inf';
    return String(v);
  }
  const a = analyze(v);
  const resolvesToString = !IMPLICIT.some((re) => re.test(v));
  if (resolvesToString && a.plain && !(isKey && a.multiline)) return v;
  // Multi-line values do not occur in MLflow's meta files; a JSON string is valid YAML.
  if (a.singleQuoted && !a.multiline) return singleQuoted(v, column, indent);
  return JSON.stringify(v);
}

function mapping(obj: { [k: string]: YamlValue }, indent: number): string {
  const keys = Object.keys(obj).sort();
  let out = '';
  for (const k of keys) {
    const v = obj[k];
    const key = scalar(k, indent, indent, true);
    const head = ' '.repeat(indent) + key + ':';
    if (Array.isArray(v)) {
      if (v.length === 0) { out += head + ' []\n'; continue; }
      out += head + '\n' + v.map((x) => ' '.repeat(indent) + '- ' + scalar(x, indent + 2, indent + 2, false) + '\n').join('');
    } else if (v !== null && typeof v === 'object') {
      if (Object.keys(v).length === 0) { out += head + ' {}\n'; continue; }
      out += head + '\n' + mapping(v, indent + INDENT);
    } else {
      out += head + ' ' + scalar(v, head.length + 1, indent + INDENT, false) + '\n';
    }
  }
  return out;
}

/** The text PyYAML's safe_dump writes for a mapping (keys sorted). */
export function dumpPyYaml(obj: { [k: string]: YamlValue }): string {
  return mapping(obj, 0);
}

/**
 * Parse a meta.yaml as PyYAML's safe_load would: quoted scalars are strings,
 * plain ones go through PyYAML's resolvers (so `n` stays a string, `1e5` too).
 */
export function parsePyYaml(text: string, where: string): Record<string, unknown> {
  let doc: unknown;
  try {
    const d = parseDocument(text, { version: '1.1', schema: 'failsafe' });
    if (d.errors.length) throw d.errors[0];
    visit(d, {
      Scalar(_key, node) {
        if (isScalar(node) && node.type === 'PLAIN' && typeof node.value === 'string') node.value = resolvePlain(node.value);
      },
    });
    doc = d.toJS();
  } catch (e) {
    throw new Error(`${where}: not valid YAML (${(e as Error).message.split('\n')[0]})`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`${where}: expected a mapping of fields`);
  return doc as Record<string, unknown>;
}
