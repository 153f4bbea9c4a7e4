// Labels as researchers' files spell them: trimmed, matched to the class list
// case-insensitively (I3A writes `Homogeneous`, ICPR `homogeneous`), and
// optionally cut to the first of several (`16 0`, `8|5` in HPA).
import type { DatasetItem } from './types';
import type { BadInputCollector } from './bad-input';

export function cleanLabel(raw: string, multiLabel: 'keep' | 'first'): string {
  const t = raw.trim();
  return multiLabel === 'first' ? t.split(/[\s|;,]+/)[0] : t;
}

/**
 * The class list and items relabelled to its spelling. With `expected`, a
 * label outside it is bad input; otherwise the classes are the labels found
 * (spellings differing only in case are one class, spelled as most items do).
 */
export function resolveClasses(items: DatasetItem[], expected: string[] | undefined, bad: BadInputCollector): { classes: string[]; items: DatasetItem[] } {
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
