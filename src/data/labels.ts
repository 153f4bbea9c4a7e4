// Labels as researchers' files spell them: trimmed, matched to the class list
// case-insensitively (I3A writes `Homogeneous`, ICPR `homogeneous`), numeric
// ids named by the class list or a mapping file (HPA's `16` = Cytosol),
// optionally cut to the first of several (`16 0`, `8|5` in HPA), or kept as
// a label set (multi-label).
import * as fs from 'node:fs';
import type { DatasetItem } from './types';
import { BadInputCollector, DataError } from './bad-input';
import { parseCsv } from './csv';

export function cleanLabel(raw: string, multiLabel: 'keep' | 'first' | 'multi'): string {
  const t = raw.trim();
  return multiLabel === 'first' ? splitLabelSet(t)[0] ?? '' : t;
}

/**
 * The labels of a label-set cell: split on `|` (HPA 2021), else `;`, else `,`, else
 * whitespace (HPA 2018's `16 0`). A cell that is one known class name (`Nuclear
 * membrane`) is that one label.
 */
export function splitLabelSet(cell: string, known?: ReadonlySet<string>): string[] {
  const t = cell.trim();
  if (!t) return [];
  if (known?.has(t.toLowerCase())) return [t];
  const sep = t.includes('|') ? '|' : t.includes(';') ? ';' : t.includes(',') ? ',' : /\s+/;
  return [...new Set(t.split(sep).map((x) => x.trim()).filter(Boolean))];
}

/** Class names by label id, from `dataset.classMap`: CSV `id,name` (a header row is skipped) or JSON (`{"0": "a"}` or `["a", ...]`). */
export function readClassMap(file: string): Map<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new DataError(`dataset.classMap ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): give the file naming the label ids`);
  }
  const out = new Map<string, string>();
  if (/^\s*[[{]/.test(text)) {
    let json: unknown;
    try { json = JSON.parse(text); } catch (err) { throw new DataError(`dataset.classMap ${file} is not valid JSON (${(err as Error).message})`); }
    const entries = Array.isArray(json) ? json.map((v, i) => [String(i), v] as const) : Object.entries(json as Record<string, unknown>);
    for (const [id, name] of entries) {
      if (typeof name !== 'string' || !name.trim()) throw new DataError(`dataset.classMap ${file}: id ${id} has no name (${JSON.stringify(name)}); give a string per id`);
      out.set(id.trim(), name.trim());
    }
  } else {
    const t = parseCsv(text, file);
    const rows = [t.header, ...t.rows.map((r) => t.header.map((h) => r.values[h]))];
    // A first row like `id,name` is a header when the ids below it are not like it.
    const isId = (v: string | undefined) => /^\s*\d+\s*$/.test(v ?? '');
    const start = !isId(rows[0][0]) && rows.slice(1).some((r) => isId(r[0])) ? 1 : 0;
    rows.slice(start).forEach((r, i) => {
      const line = i + start + 1;
      if (r.length < 2 || !r[0]?.trim() || !r[1]?.trim()) throw new DataError(`${file}:${line}: expected \`id,name\` (e.g. \`16,Cytosol\`), got ${JSON.stringify(r.join(','))}`);
      if (out.has(r[0].trim())) throw new DataError(`${file}:${line}: id ${r[0].trim()} is named twice: one name per id`);
      out.set(r[0].trim(), r[1].trim());
    });
  }
  if (out.size < 2) throw new DataError(`dataset.classMap ${file} names ${out.size} class(es): a classifier needs at least 2`);
  return out;
}

/** Names of label ids: the class map, else the class list by position (HPA lists its 19 labels in id order). */
export function labelIdNames(classes: string[] | undefined, classMap: Map<string, string> | undefined): Map<string, string> | undefined {
  if (classMap) return classMap;
  if (classes) return new Map(classes.map((c, i) => [String(i), c]));
  return undefined;
}

/**
 * The class list and items relabelled to its spelling. With `expected`, a
 * label outside it is bad input; otherwise the classes are the labels found
 * (spellings differing only in case are one class, spelled as most items do).
 * A numeric label names a class through `ids` when it is not a class itself.
 */
export function resolveClasses(items: DatasetItem[], expected: string[] | undefined, bad: BadInputCollector, ids?: Map<string, string>): { classes: string[]; items: DatasetItem[] } {
  if (ids) {
    const names = new Set((expected ?? [...ids.values()]).map((c) => c.toLowerCase()));
    items = items.map((it) => (!names.has(it.label.toLowerCase()) && ids.has(it.label) ? { ...it, label: ids.get(it.label)! } : it));
    expected ??= [...ids.values()];
  }
  const canonical = new Map<string, string>();
  if (expected) {
    for (const c of expected) canonical.set(c.toLowerCase(), c);
  } else {
    const counts = new Map<string, Map<string, number>>();
    for (const it of items) {
      const k = it.label.toLowerCase();
      const m = counts.get(k) ?? new Map<string, number>();
      m.set(it.label, (m.get(it.label) ?? 0) + 1);
      counts.set(k, m);
    }
    for (const [k, m] of counts) {
      const best = [...m.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0];
      canonical.set(k, best);
    }
  }
  const kept: DatasetItem[] = [];
  for (const it of items) {
    const c = canonical.get(it.label.toLowerCase());
    if (c === undefined) {
      bad.add(it.source ?? it.path, `unknown label '${it.label}': expected one of ${expected!.join(', ')} (dataset.classes). Fix the label or add the class`, it.id);
      continue;
    }
    kept.push(c === it.label ? it : { ...it, label: c });
  }
  const classes = expected ? [...expected] : [...new Set(canonical.values())].sort();
  return { classes, items: kept };
}

/**
 * Multi-label: every item's `labels` resolved to class names (case-insensitive; numeric ids
 * through `ids`), kept in class order, and `label` set to them joined by `|`. Classes are
 * `expected` (or the id map's names, in id order), else the labels found, sorted.
 */
export function resolveLabelSets(items: DatasetItem[], expected: string[] | undefined, bad: BadInputCollector, ids?: Map<string, string>): { classes: string[]; items: DatasetItem[] } {
  const given = expected ?? (ids ? [...ids.values()] : undefined);
  const canonical = new Map<string, string>();
  if (given) for (const c of given) canonical.set(c.toLowerCase(), c);
  else {
    for (const it of items) for (const l of it.labels ?? []) if (!canonical.has(l.toLowerCase())) canonical.set(l.toLowerCase(), l);
  }
  const classes = given ? [...given] : [...new Set(canonical.values())].sort();
  const order = new Map(classes.map((c, i) => [c, i]));
  const kept: DatasetItem[] = [];
  for (const it of items) {
    const names: string[] = [];
    const unknown: string[] = [];
    for (const raw of it.labels ?? []) {
      const c = canonical.get(raw.toLowerCase()) ?? (ids?.has(raw) ? canonical.get(ids.get(raw)!.toLowerCase()) : undefined);
      if (c === undefined) unknown.push(raw);
      else if (!names.includes(c)) names.push(c);
    }
    if (unknown.length) {
      const known = ids && !expected ? `label ids ${[...ids.keys()].join(', ')} (dataset.classMap)` : `one of ${classes.join(', ')}${ids ? ' or their ids' : ''} (dataset.classes)`;
      bad.add(it.source ?? it.path, `unknown label(s) ${unknown.map((u) => `'${u}'`).join(', ')}: expected ${known}. Fix the label or add the class`, it.id);
      continue;
    }
    if (names.length === 0) {
      bad.add(it.source ?? it.path, `no label for ${it.id}: give at least one (HPA marks unlabelled images 'Negative')`, it.id);
      continue;
    }
    names.sort((a, b) => order.get(a)! - order.get(b)!);
    kept.push({ ...it, labels: names, label: names.join('|') });
  }
  return { classes, items: kept };
}

/** The labels of an item: its label set (multi-label) or its one label. */
export function itemLabels(it: DatasetItem): string[] {
  return it.labels ?? [it.label];
}

/** 0/1 per item and class (multi-label targets), items in order. */
export function labelMatrix(items: DatasetItem[], classes: string[]): Uint8Array {
  const index = new Map(classes.map((c, i) => [c, i]));
  const out = new Uint8Array(items.length * classes.length);
  items.forEach((it, r) => {
    for (const l of itemLabels(it)) {
      const c = index.get(l);
      if (c === undefined) throw new DataError(`${it.source ?? it.path}: label '${l}' is not one of the classes ${classes.join(', ')}`);
      out[r * classes.length + c] = 1;
    }
  });
  return out;
}
