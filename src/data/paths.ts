// Paths in a `dataset` section. `root` resolves against the experiment file's
// folder; the inputs that live with the images (`manifest`, `mask.dir`) against
// `root` first, then the file's folder, so `manifest: split.csv` beside the
// images is found. A path found in neither is an error naming both places. A set
// `dataset.synthetic` will generate is judged by what the generator writes
// (labels.csv, images/, ... at `synthetic.out`), so the choice does not change
// once the set exists (the config hash stays the same).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SYNTH_OUTPUT_ENTRIES } from './synth/manifests';

/** Dataset keys resolved root-first (dotted under `dataset`). */
export const ROOT_FIRST_PATHS = ['manifest', 'mask.dir'] as const;

type Json = Record<string, unknown>;
const isMap = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);
/** `http://...`, `file:///...`, `runs:/<id>`, `experiment:<name>` — not Windows drive letters. */
export function isUri(p: string): boolean {
  return /^[a-z][a-z0-9+.-]+:/i.test(p);
}

/** Whether generating the synthetic set into `out` makes `file` (one of its own top-level entries, or inside one). */
function generatedBy(out: string, file: string): boolean {
  const rel = path.relative(out, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) && SYNTH_OUTPUT_ENTRIES.includes(rel.split(path.sep)[0]);
}

/**
 * The raw `dataset` section (before validation) with `manifest` and `mask.dir` made
 * absolute, root-first. Problems (found in neither place) are pushed to `problems`.
 */
export function resolveDatasetInputPaths(section: unknown, baseDir: string, problems: string[]): unknown {
  if (!isMap(section) || typeof section.root !== 'string' || section.root === '' || isUri(section.root)) return section;
  const root = path.resolve(baseDir, section.root);
  const synthetic = isMap(section.synthetic) ? section.synthetic : undefined;
  const out = synthetic && typeof synthetic.out === 'string' ? path.resolve(baseDir, synthetic.out) : root;
  const result: Json = { ...section };
  for (const key of ROOT_FIRST_PATHS) {
    const [head, tail] = key.split('.');
    const holder = tail ? section[head] : section;
    const value = isMap(holder) ? holder[tail ?? head] : undefined;
    if (typeof value !== 'string' || value === '' || path.isAbsolute(value) || isUri(value)) continue;
    const tried = [...new Set([path.resolve(root, value), path.resolve(baseDir, value)])];
    const hit = tried.find((p) => fs.existsSync(p)) ?? (synthetic ? tried.find((p) => generatedBy(out, p)) : undefined);
    if (!hit) {
      const where = tried.length > 1 ? `under dataset.root (${tried[0]}) nor beside the experiment file (${tried[1]})` : `at ${tried[0]}`;
      problems.push(`\`dataset.${key}\` ${value} is not found ${where}. Fix the path (relative to dataset.root or to the experiment file), or give an absolute one`);
      continue;
    }
    if (tail) result[head] = { ...(holder as Json), [tail]: hit };
    else result[head] = hit;
  }
  return result;
}
