// Checks every loader's items get: duplicate ids, and files that are
// missing or empty (image, mask, channel files). Offenders are collected so
// one message lists them all.
import type { DatasetItem } from './types';
import type { BadInputCollector } from './bad-input';
import { fileProblem } from './files';

/** Items whose id was seen before are bad input (the first one is kept). */
export function dropDuplicateIds(items: DatasetItem[], bad: BadInputCollector): DatasetItem[] {
  const first = new Map<string, DatasetItem>();
  const out: DatasetItem[] = [];
  for (const it of items) {
    const prev = first.get(it.id);
    if (prev) {
      bad.add(it.source ?? it.path, `duplicate id '${it.id}' (also ${prev.source ?? prev.path}): ids must be unique; rename or remove one`, it.id);
      continue;
    }
    first.set(it.id, it);
    out.push(it);
  }
  return out;
}

/** Items whose files are missing or empty are bad input. */
export function dropMissingFiles(items: DatasetItem[], withMask: boolean, bad: BadInputCollector): DatasetItem[] {
  const out: DatasetItem[] = [];
  for (const it of items) {
    const from = it.source && it.source !== it.path ? ` (${it.source})` : '';
    const files: [string, string][] = it.channelPaths
      ? Object.entries(it.channelPaths).map(([c, f]) => [f!, `${c} channel`])
      : [[it.path, 'image']];
    let ok = true;
    for (const [f, what] of files) {
      const p = fileProblem(f, what);
      if (p) { bad.add(f, p + from, it.id); ok = false; }
    }
    if (ok && withMask) {
      const advice = 'add the mask, fix dataset.mask, or set image.mask: false';
      if (!it.maskPath) {
        bad.add(it.path, `no mask found for this image${from}: ${advice}`, it.id);
        ok = false;
      } else {
        const p = fileProblem(it.maskPath, 'mask', advice);
        if (p) {
          bad.add(it.maskPath, `${p} (mask of ${it.path}${from ? `, ${it.source}` : ''})`, it.id);
          ok = false;
        }
      }
    }
    if (ok) out.push(it);
  }
  return out;
}
