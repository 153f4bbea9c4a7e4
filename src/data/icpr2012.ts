// ICPR 2012 HEp-2 cells contest layout (as distributed, see DATASETS.md):
//   training/training.csv (ID;intensity;width;height), training/gt_training.csv (ID;pattern),
//   test/test.csv, test/gt_test.csv, cells NNN.png + NNN_mask.png, cells.csv at the root
//   whose third column is the source image = specimen (the group for grouped splits).
// Also ICPR 2014 / I3A task 1: train/NNNNN.png + NNNNN_Mask.png, gt_training.csv
// (`,`-separated, ID,pattern) in train/ or at the root; labels trimmed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DatasetConfig } from './schema';
import type { Dataset, DatasetItem, SplitName } from './types';
import { readCsv, requireColumn, type CsvTable } from './csv';
import { BadInputCollector, DataError } from './bad-input';
import { IMAGE_EXT, isImageName } from './files';
import { cleanLabel } from './labels';
import { maskPathFor } from './mask-path';

export { expandPattern } from './files';

interface Side { dirs: string[]; split: SplitName; lists: string[]; gts: string[] }

const SIDES: Side[] = [
  { dirs: ['training', 'train'], split: 'train', lists: ['training.csv', 'train.csv'], gts: ['gt_training.csv', 'gt_train.csv'] },
  { dirs: ['test', 'testing'], split: 'test', lists: ['test.csv'], gts: ['gt_test.csv', 'gt_testing.csv'] },
];

/**
 * Image files of a folder by ID. IDs are matched numerically when both are
 * numbers (`001.png`, `0001.png` and `1.png` are all ID 1), so any zero-padding
 * works; mask files (`*_mask.*`, `*_Mask.*`) are not images.
 */
function indexImages(dir: string): Map<string, string> {
  const index = new Map<string, string>();
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return index;
    throw new DataError(`cannot list the images in ${dir}: ${(err as Error).message}`);
  }
  for (const name of names.sort()) {
    if (!isImageName(name)) continue;
    const key = numericKey(name.replace(IMAGE_EXT, ''));
    if (!index.has(key)) index.set(key, path.join(dir, name));
  }
  return index;
}

function numericKey(id: string): string {
  return /^\d+$/.test(id) ? String(Number(id)) : id;
}

function firstExisting(candidates: string[]): string | undefined {
  return candidates.find((f) => fs.existsSync(f));
}

/** Side of a cells.csv row (`training`/`test` in column 2), normalised to our split names. */
function sideOf(value: string | undefined): SplitName | undefined {
  const v = (value ?? '').trim().toLowerCase();
  return v.startsWith('train') ? 'train' : v.startsWith('test') ? 'test' : undefined;
}

/**
 * Specimen of each cell from cells.csv, keyed by side and ID (whether test IDs
 * restart at 1 is not documented, so the side disambiguates when given).
 */
function readGroups(root: string, cfg: DatasetConfig, bad: BadInputCollector): (side: SplitName, id: string) => string | undefined {
  const bySide = new Map<string, string>();
  const byId = new Map<string, string>();
  const file = path.join(root, 'cells.csv');
  if (!fs.existsSync(file)) return () => undefined;
  const t = readCsv(file, { bad });
  // The header's names are not documented (they may repeat or be blank), so columns
  // go by position: 1 ID, 2 set, 3 image (specimen).
  const groupAt = cfg.columns.group ? t.header.indexOf(requireColumn(t, cfg.columns.group, 'dataset.columns.group')) : 2;
  if (groupAt >= t.header.length) throw new DataError(`${file} has ${t.header.length} column(s); expected the source image number in column 3 (or set dataset.columns.group)`);
  for (const r of t.rows) {
    const id = numericKey(r.cells[0]);
    const side = sideOf(r.cells[1]);
    if (side) bySide.set(`${side}:${id}`, r.cells[groupAt]);
    byId.set(id, r.cells[groupAt]);
  }
  return (side, id) => bySide.get(`${side}:${numericKey(id)}`) ?? byId.get(numericKey(id));
}

export function loadIcpr2012(cfg: DatasetConfig, bad: BadInputCollector): Dataset {
  const root = cfg.root;
  if (!root || !fs.existsSync(root)) throw new DataError(`dataset.root ${root} does not exist: point it at the unpacked ICPR 2012 folder`);
  const idKey = cfg.columns.id ?? 'ID';
  const labelKey = cfg.columns.label ?? 'pattern';
  const intensityKey = cfg.columns.intensity ?? 'intensity';
  const groupOf = readGroups(root, cfg, bad);
  const items: DatasetItem[] = [];
  const looked: string[] = [];
  let sidesFound = 0;
  for (const side of SIDES) {
    const dir = firstExisting(side.dirs.map((d) => path.join(root, d)));
    const gtCandidates = [...side.gts.map((g) => path.join(dir ?? path.join(root, side.dirs[0]), g)), ...side.gts.map((g) => path.join(root, g))];
    looked.push(...gtCandidates.map((f) => path.relative(root, f)));
    const gtFile = firstExisting(gtCandidates);
    if (!gtFile) continue;
    const imageDir = dir ?? path.dirname(gtFile);
    sidesFound++;
    const gt = readCsv(gtFile, { bad });
    const gtId = requireColumn(gt, idKey, 'dataset.columns.id');
    const gtLabel = requireColumn(gt, labelKey, 'dataset.columns.label');
    const listFile = firstExisting(side.lists.map((l) => path.join(imageDir, l)));
    const infoById = new Map<string, Record<string, string>>();
    if (listFile) {
      const info: CsvTable = readCsv(listFile, { bad });
      const infoId = requireColumn(info, idKey, 'dataset.columns.id');
      for (const r of info.rows) infoById.set(numericKey(r.values[infoId]), r.values);
    }
    const images = indexImages(imageDir);
    for (const row of gt.rows) {
      const id = row.values[gtId]?.trim();
      const label = cleanLabel(row.values[gtLabel] ?? '', cfg.multiLabel);
      const where = `${gtFile}:${row.line}`;
      if (!id) { bad.add(where, 'empty ID: fill it in or delete the row'); continue; }
      if (!label) { bad.add(where, `empty ${labelKey} for ID ${id}: fill it in or delete the row`, id); continue; }
      const image = images.get(numericKey(id));
      if (!image) {
        bad.add(where, `image for ID ${id} not found in ${imageDir} (looked for ${id.padStart(3, '0')}.png, ${id}.png and other extensions): restore it or delete the row`, id);
        continue;
      }
      const extra: Record<string, string> = { ...(infoById.get(numericKey(id)) ?? {}) };
      delete extra[idKey];
      const item: DatasetItem = { id, path: image, label, split: side.split, extra, source: where };
      const intensity = extra[intensityKey];
      if (intensity !== undefined) item.extra.intensity = intensity;
      const group = groupOf(side.split, id);
      if (group !== undefined) item.group = group;
      const mask = maskPathFor(image, id, cfg);
      if (mask) item.maskPath = mask;
      items.push(item);
    }
  }
  // Test IDs that repeat training IDs get a `test-` prefix, so ids stay unique.
  const trainIds = new Set(items.filter((i) => i.split === 'train').map((i) => numericKey(i.id)));
  for (const it of items) if (it.split === 'test' && trainIds.has(numericKey(it.id))) it.id = `test-${it.id}`;
  if (sidesFound === 0) {
    throw new DataError(`${root} does not look like an ICPR 2012 / I3A folder: none of ${looked.join(', ')} exists. ` +
      'Point dataset.root at the folder that holds training/ and test/, or use dataset.format: csv with a manifest.');
  }
  const classes = [...new Set(items.map((i) => i.label))].sort();
  return { format: 'icpr2012', root, classes, items };
}
