// Folder-per-class layout: root/<class>/*.png|tif|tiff|jpg|bmp, optionally
// one level of split folders above (root/train/<class>/..., root/test/<class>/...),
// masks beside the images (`{stem}_mask.png`) or in a parallel tree (`mask.dir`).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DatasetConfig } from './schema';
import type { Dataset, DatasetItem, SplitName } from './types';
import { BadInputCollector, DataError } from './bad-input';
import { isImageName, IMAGE_EXT } from './files';
import { maskPathFor } from './mask-path';

const SPLIT_DIRS: Record<string, SplitName> = {
  train: 'train', training: 'train', val: 'val', valid: 'val', validation: 'val', test: 'test', testing: 'test',
};

function subfolders(dir: string, exclude: Set<string>): string[] {
  return fs.readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && !exclude.has(path.join(dir, e.name)))
    .map((e) => e.name)
    .sort();
}

function listClass(dir: string, className: string, split: SplitName | undefined, root: string, cfg: DatasetConfig, items: DatasetItem[]): number {
  let n = 0;
  for (const name of fs.readdirSync(dir).sort()) {
    if (!isImageName(name)) continue;
    const file = path.join(dir, name);
    const rel = path.relative(root, file);
    // The id is the path below root without extension: unique even when two classes hold `001.png`.
    const id = rel.replace(IMAGE_EXT, '').split(path.sep).join('/');
    const item: DatasetItem = { id, path: file, label: className, extra: {}, source: file };
    if (split) item.split = split;
    const mask = maskPathFor(file, path.basename(name).replace(IMAGE_EXT, ''), cfg, { relDir: path.relative(root, dir) });
    if (mask) item.maskPath = mask;
    items.push(item);
    n++;
  }
  return n;
}

export function loadFolder(cfg: DatasetConfig, bad: BadInputCollector): Dataset {
  const root = cfg.root;
  if (!root || !fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
    throw new DataError(`dataset.root ${root} is not a folder: point it at a folder with one sub-folder of images per class`);
  }
  const exclude = new Set<string>(cfg.mask.dir ? [path.resolve(cfg.mask.dir)] : []);
  const top = subfolders(root, exclude);
  const splitLayout = top.length > 0 && top.every((d) => d.toLowerCase() in SPLIT_DIRS);
  const items: DatasetItem[] = [];
  const visit = (base: string, split: SplitName | undefined) => {
    for (const cls of subfolders(base, exclude)) {
      const dir = path.join(base, cls);
      const n = listClass(dir, cls, split, root, cfg, items);
      if (n === 0) bad.add(dir, `class folder '${cls}' holds no images (.png, .tif, .tiff, .jpg, .bmp): add images or remove the folder`);
    }
  };
  if (splitLayout) for (const d of top) visit(path.join(root, d), SPLIT_DIRS[d.toLowerCase()]);
  else visit(root, undefined);
  if (top.length === 0) {
    throw new DataError(`${root} has no sub-folders: dataset.format folder expects root/<class>/<images> (e.g. ${path.join(root, 'homogeneous', '001.png')})`);
  }
  const classes = [...new Set(items.map((i) => i.label))].sort();
  return { format: 'folder', root, classes, items };
}
