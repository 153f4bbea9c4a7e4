// Cache keys. An item's key is the identity of every file it is made of
// (absolute path, size, modification time): editing or replacing a file
// changes its key, so a stale entry is never used. The folder of a cache is
// named by the preprocessing settings, so changing them never mixes entries.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DatasetItem } from '../types';

/** Bump when the prepared pixels of the same files and settings would change. */
export const CACHE_FORMAT = 1;

function fileIdentity(file: string): string {
  const abs = path.resolve(file);
  try {
    const st = fs.statSync(abs);
    return `${abs}\u0000${st.size}\u0000${Math.round(st.mtimeMs)}`;
  } catch {
    return `${abs}\u0000missing`;
  }
}

/** Every file an item's pixels come from. */
export function itemFiles(item: DatasetItem, withMask: boolean): string[] {
  const files = item.channelPaths ? Object.entries(item.channelPaths).sort().map(([, f]) => f!) : [item.path];
  if (withMask && item.maskPath) files.push(item.maskPath);
  return files;
}

export function itemKey(item: DatasetItem, withMask: boolean): string {
  const h = createHash('sha1');
  for (const f of itemFiles(item, withMask)) h.update(fileIdentity(f)).update('\n');
  // A cell crop is its region of the field image (and its segmentation file).
  if (item.crop) {
    const { x, y, width, height, cell, segmentation } = item.crop;
    h.update(JSON.stringify([x, y, width, height, cell ?? null])).update(segmentation ? fileIdentity(segmentation) : '');
  }
  return h.digest('hex').slice(0, 24);
}

export function digest(value: unknown, length = 16): string {
  return createHash('sha1').update(JSON.stringify(value)).digest('hex').slice(0, length);
}
