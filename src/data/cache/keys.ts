// Cache keys. An item's key is the identity of every file it is made of
// (absolute path, size, modification time): editing or replacing a file
// changes its key, so a stale entry is never used. The folder of a cache is
// named by the preprocessing settings, so changing them never mixes entries.
import { createHash, hash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DatasetItem } from '../types';

/** Bump when the prepared pixels of the same files and settings would change. */
export const CACHE_FORMAT = 1;

function fileIdentity(file: string): string {
  const abs = path.resolve(file);
  let st: fs.Stats | undefined;
  // A missing file costs no exception (throwIfNoEntry); other errors count as missing too.
  try { st = fs.statSync(abs, { throwIfNoEntry: false }); } catch { st = undefined; }
  return st ? `${abs}\u0000${st.size}\u0000${Math.round(st.mtimeMs)}` : `${abs}\u0000missing`;
}

/** Every file an item's pixels come from. */
export function itemFiles(item: DatasetItem, withMask: boolean): string[] {
  const files = item.channelPaths ? Object.entries(item.channelPaths).sort().map(([, f]) => f!) : [item.path];
  if (withMask && item.maskPath) files.push(item.maskPath);
  return files;
}

// The identities are hashed in one call (crypto.hash: no Hash object per item),
// the same bytes as before, so keys, and caches written by earlier versions, are unchanged.
export function itemKey(item: DatasetItem, withMask: boolean): string {
  let text = '';
  for (const f of itemFiles(item, withMask)) text += `${fileIdentity(f)}\n`;
  // A cell crop is its region of the field image (and its segmentation file).
  if (item.crop) {
    const { x, y, width, height, cell, segmentation } = item.crop;
    text += JSON.stringify([x, y, width, height, cell ?? null]) + (segmentation ? fileIdentity(segmentation) : '');
  }
  return hash('sha1', text, 'hex').slice(0, 24);
}

/** Names an item list by its files and crops alone (no stat): which pack a second run will most likely want. */
export function listDigest(items: DatasetItem[], withMask: boolean): string {
  let text = '';
  for (const it of items) {
    text += itemFiles(it, withMask).join('\u0000');
    if (it.crop) text += JSON.stringify([it.crop.x, it.crop.y, it.crop.width, it.crop.height, it.crop.cell ?? null, it.crop.segmentation ?? null]);
    text += '\n';
  }
  return hash('sha1', text, 'hex').slice(0, 16);
}

export function digest(value: unknown, length = 16): string {
  return createHash('sha1').update(JSON.stringify(value)).digest('hex').slice(0, length);
}
