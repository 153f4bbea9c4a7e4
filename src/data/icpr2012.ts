// ICPR 2012 HEp-2 cells contest layout (as distributed, see DATASETS.md):
//   training/training.csv (ID;intensity;width;height), training/gt_training.csv (ID;pattern),
//   test/test.csv, test/gt_test.csv, cells NNN.png + NNN_mask.png, cells.csv at the root
//   whose third column is the source image = specimen (the group for grouped splits).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DatasetConfig } from './schema';
import type { Dataset, DatasetItem, SplitName } from './types';
import { readCsv, requireColumn, type CsvTable } from './csv';
import { BadInputCollector } from './bad-input';

const SIDES: { dir: string; split: SplitName; list: string; gt: string }[] = [
  { dir: 'training', split: 'train', list: 'training.csv', gt: 'gt_training.csv' },
  { dir: 'test', split: 'test', list: 'test.csv', gt: 'gt_test.csv' },
];

/**
 * Mask file name rule: `{stem}` is the image file name without extension,
 * `{id}` the ID, `{id:3}` the ID zero-padded to 3 digits.
 */
export function expandPattern(pattern: string, id: string, stem = id): string {
  return pattern
    .replace(/\{stem\}/g, stem)
    .replace(/\{id(?::(\d+))?\}/g, (_, pad) => (pad ? id.padStart(Number(pad), '0') : id));
}

const IMAGE_EXT = /\.(png|tif|tiff|bmp|jpe?g)$/i;

/**
 * Image files of a folder by ID. IDs are matched numerically when both are
 * numbers (`001.png`, `0001.png` and `1.png` are all ID 1), so any zero-padding
 * works; mask files (`*_mask.*`, `*_Mask.*`) are not images.
 */
function indexImages(dir: string): Map<string, string> {
  const index = new Map<string, string>();
  let names: string[] = [];
  try { names = fs.readdirSync(dir); } catch { return index; }
  for (const name of names.sort()) {
    if (!IMAGE_EXT.test(name) || /_mask\./i.test(name)) continue;
    const stem = name.replace(IMAGE_EXT, '');
    const key = /^\d+$/.test(stem) ? String(Number(stem)) : stem;
    if (!index.has(key)) index.set(key, path.join(dir, name));
  }
  return index;
}

function numericKey(id: string): string {
  return /^\d+$/.test(id) ? String(Number(id)) : id;
}

function readGroups(root: string, cfg: DatasetConfig): Map<string, string> {
  const groups = new Map<string, string>();
  const file = path.join(root, 'cells.csv');
  if (!fs.existsSync(file)) return groups;
  const t = readCsv(file);
  // The header's names are not documented; the columns are: 1 ID, 2 set, 3 image (specimen).
  const idCol = t.header[0];
  const groupCol = cfg.columns.group ? requireColumn(t, cfg.columns.group, 'dataset.columns.group') : t.header[2];
  for (const r of t.rows) groups.set(numericKey(r.values[idCol]), r.values[groupCol]);
  return groups;
}

export function loadIcpr2012(cfg: DatasetConfig, bad: BadInputCollector): Dataset {
  const root = cfg.root;
  if (!fs.existsSync(root)) throw new Error(`dataset.root ${root} does not exist`);
  const idKey = cfg.columns.id ?? 'ID';
  const labelKey = cfg.columns.label ?? 'pattern';
  const intensityKey = cfg.columns.intensity ?? 'intensity';
  const maskPattern = cfg.mask.pattern ?? '{stem}_mask.png';
  const groups = readGroups(root, cfg);
  const items: DatasetItem[] = [];
  let sidesFound = 0;
  for (const side of SIDES) {
    const dir = path.join(root, side.dir);
    const gtFile = path.join(dir, side.gt);
    if (!fs.existsSync(gtFile)) continue;
    sidesFound++;
    const gt = readCsv(gtFile);
    const gtId = requireColumn(gt, idKey, 'dataset.columns.id');
    const gtLabel = requireColumn(gt, labelKey, 'dataset.columns.label');
    const listFile = path.join(dir, side.list);
    let info: CsvTable | undefined;
    const infoById = new Map<string, Record<string, string>>();
    if (fs.existsSync(listFile)) {
      info = readCsv(listFile);
      const infoId = requireColumn(info, idKey, 'dataset.columns.id');
      for (const r of info.rows) infoById.set(r.values[infoId], r.values);
    }
    const images = indexImages(dir);
    for (const row of gt.rows) {
      const id = row.values[gtId];
      const label = row.values[gtLabel];
      const where = `${gtFile}:${row.line}`;
      if (!id) { bad.add(where, 'empty ID'); continue; }
      if (!label) { bad.add(where, `empty ${labelKey}`, id); continue; }
      const image = images.get(numericKey(id));
      if (!image) { bad.add(where, `image for ID ${id} not found in ${dir} (looked for ${id.padStart(3, '0')}.png and ${id}.png)`, id); continue; }
      const extra: Record<string, string> = { ...(infoById.get(id) ?? {}) };
      delete extra[idKey];
      const item: DatasetItem = { id, path: image, label, split: side.split, extra };
      const intensity = extra[intensityKey];
      if (intensity !== undefined) item.extra.intensity = intensity;
      const group = groups.get(numericKey(id));
      if (group !== undefined) item.group = group;
      if (cfg.image.mask) {
        const stem = path.basename(image).replace(IMAGE_EXT, '');
        const maskPath = path.join(cfg.mask.dir ?? dir, expandPattern(maskPattern, id, stem));
        if (!fs.existsSync(maskPath)) { bad.add(image, `mask ${maskPath} is missing`, id); continue; }
        item.maskPath = maskPath;
      }
      items.push(item);
    }
  }
  if (sidesFound === 0) {
    throw new Error(`${root} does not look like an ICPR 2012 folder: expected training/gt_training.csv and/or test/gt_test.csv`);
  }
  const classes = [...new Set(items.map((i) => i.label))].sort();
  return { format: 'icpr2012', root, classes, items };
}
