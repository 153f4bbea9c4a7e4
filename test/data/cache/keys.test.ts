// Cache keys: an item's key is sha1 over its files' identities (path, size,
// mtime). The bytes hashed are pinned here, so packs written by earlier
// versions stay valid (a changed key would silently re-decode every image).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { itemKey } from '../../../src/data/cache/keys';
import type { DatasetItem } from '../../../src/data/types';
import { tmpDir } from '../helpers';

const identity = (f: string) => { const st = fs.statSync(f); return `${f}\u0000${st.size}\u0000${Math.round(st.mtimeMs)}`; };
const sha1 = (s: string) => createHash('sha1').update(s).digest('hex').slice(0, 24);

test('itemKey: sha1 of "path\\0size\\0mtime\\n" per file (image, then mask); changes when a file does', () => {
  const dir = tmpDir();
  const image = path.join(dir, 'a.png'), mask = path.join(dir, 'a_mask.png');
  fs.writeFileSync(image, 'pixels');
  fs.writeFileSync(mask, 'mask');
  const item: DatasetItem = { id: 'a', path: image, maskPath: mask, label: 'x', extra: {} };
  assert.equal(itemKey(item, true), sha1(`${identity(image)}\n${identity(mask)}\n`));
  assert.equal(itemKey(item, false), sha1(`${identity(image)}\n`));
  const before = itemKey(item, true);
  fs.writeFileSync(mask, 'mask, edited');
  assert.notEqual(itemKey(item, true), before, 'editing the mask must change the key');
});

test('itemKey: a crop adds its region; a missing file gets a key (no throw) that differs once it appears', () => {
  const dir = tmpDir();
  const field = path.join(dir, 'field.png');
  const crop = { x: 1, y: 2, width: 3, height: 4, cell: 7, image: field };
  const item: DatasetItem = { id: 'c', path: field, label: 'x', extra: {}, crop };
  const missing = itemKey(item, false);
  assert.equal(missing, sha1(`${field}\u0000missing\n${JSON.stringify([1, 2, 3, 4, 7])}`));
  fs.writeFileSync(field, 'field');
  assert.equal(itemKey(item, false), sha1(`${identity(field)}\n${JSON.stringify([1, 2, 3, 4, 7])}`));
  assert.notEqual(itemKey({ ...item, crop: { ...crop, x: 2 } }, false), itemKey(item, false));
});
