// File-name rules shared by the loaders: which files are images, how a mask
// is found for an image, and case-insensitive lookup (I3A writes `_Mask.png`).
import * as fs from 'node:fs';
import * as path from 'node:path';

export const IMAGE_EXT = /\.(png|tif|tiff|bmp|jpe?g)$/i;
/** `x_mask.png`, `x_Mask.tif`, `x-mask.bmp`: masks, not images. */
export const MASK_NAME = /[_-]mask\.[a-z]+$/i;

export function isImageName(name: string): boolean {
  return IMAGE_EXT.test(name) && !MASK_NAME.test(name);
}

/**
 * Expand a file-name pattern: `{id}` the item id, `{id:3}` zero-padded to 3
 * digits, `{stem}` the image file name without extension, `{name}` with it,
 * `{ext}` its extension without the dot.
 */
export function expandPattern(pattern: string, id: string, stem = id, name = stem, ext = ''): string {
  return pattern
    .replace(/\{stem\}/g, stem)
    .replace(/\{name\}/g, name)
    .replace(/\{ext\}/g, ext)
    .replace(/\{id(?::(\d+))?\}/g, (_, pad) => (pad ? id.padStart(Number(pad), '0') : id));
}

const listings = new Map<string, { mtimeMs: number; byLower: Map<string, string> }>();

/** `file` if it exists, else a file in the same folder whose name differs only in case. */
export function resolveCaseInsensitive(file: string): string {
  if (fs.existsSync(file)) return file;
  const dir = path.dirname(file);
  let mtimeMs: number;
  try { mtimeMs = fs.statSync(dir).mtimeMs; } catch { return file; }
  // Folder listings are reused while the folder is unchanged (one readdir for thousands of lookups).
  let entry = listings.get(dir);
  if (!entry || entry.mtimeMs !== mtimeMs) {
    const byLower = new Map<string, string>();
    for (const n of fs.readdirSync(dir)) byLower.set(n.toLowerCase(), n);
    entry = { mtimeMs, byLower };
    listings.set(dir, entry);
    if (listings.size > 256) listings.delete(listings.keys().next().value!);
  }
  const hit = entry.byLower.get(path.basename(file).toLowerCase());
  return hit ? path.join(dir, hit) : file;
}

/** `file`, or the same name with another image extension (`x_mask.bmp` for `x_mask.png`), any case. */
export function resolveAnyImageExt(file: string): string {
  const exact = resolveCaseInsensitive(file);
  if (exact !== file || fs.existsSync(file)) return exact;
  const base = file.replace(IMAGE_EXT, '');
  for (const ext of ['.png', '.tif', '.tiff', '.bmp', '.jpg', '.jpeg']) {
    const alt = resolveCaseInsensitive(base + ext);
    if (fs.existsSync(alt)) return alt;
  }
  return file;
}

/** What is wrong with a file that should hold an image, or undefined. `advice` says what to do. */
export function fileProblem(file: string, what = 'image', advice = 'restore it or remove the item'): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return `${what} file is missing: ${advice}`;
  }
  if (st.isDirectory()) return `${what} path is a folder, not a file: ${advice}`;
  if (st.size === 0) return `${what} file is empty (0 bytes): ${advice === 'restore it or remove the item' ? 're-export it or remove the item' : advice}`;
  return undefined;
}
