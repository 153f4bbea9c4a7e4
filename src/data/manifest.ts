// A generic CSV manifest: one row per image with path and label columns,
// optional id, mask, group (specimen/patient) and split columns; any other
// column is kept in `extra`. Configurations of it cover the A.I.D.A.-like
// layout (images/ + labels.csv, label = intensity, group = specimen) and HPA
// (`Id,Target`, no path column: `pathPattern: train/{id}_green.png`, or
// `channelFiles` to compose RGB from the per-colour files).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DatasetConfig } from './schema';
import type { Dataset, DatasetItem, SplitName } from './types';
import { BadInputCollector, DataError } from './bad-input';
import { findColumn, readCsv, requireColumn, type CsvTable } from './csv';
import { expandPattern, IMAGE_EXT, resolveCaseInsensitive } from './files';
import { cleanLabel, splitLabelSet } from './labels';
import { maskColumn, maskPathFor } from './mask-path';
import type { Stain } from './preprocess/channels';

/** Column names tried when `dataset.columns.<key>` is not set (case-insensitive). */
const GUESSES = {
  id: ['id', 'image_id', 'cell_id'],
  path: ['path', 'file', 'filename', 'file_name', 'image', 'ImageFileName', 'image_path'],
  label: ['label', 'class', 'pattern', 'target', 'category'],
  group: ['group', 'specimen', 'patient', 'patient_id', 'slide'],
  split: ['split', 'set', 'subset'],
  intensity: ['intensity'],
} as const;

const SPLIT_VALUES: Record<string, SplitName> = {
  train: 'train', training: 'train', val: 'val', valid: 'val', validation: 'val', test: 'test', testing: 'test',
};

function column(t: CsvTable, cfg: DatasetConfig, key: keyof typeof GUESSES, required: boolean): string | undefined {
  const configured = cfg.columns[key];
  if (configured) return requireColumn(t, configured, `dataset.columns.${key}`);
  const found = findColumn(t, GUESSES[key]);
  if (!found && required) {
    throw new DataError(`${t.file} has no ${key} column (looked for ${GUESSES[key].join(', ')}). Columns: ${t.header.join(', ')}. ` +
      `Set dataset.columns.${key} to the column that holds the ${key}`);
  }
  return found;
}

export function loadManifest(cfg: DatasetConfig, bad: BadInputCollector): Dataset {
  const manifest = cfg.manifest ?? (cfg.root && fs.existsSync(path.join(cfg.root, 'labels.csv')) ? path.join(cfg.root, 'labels.csv') : undefined);
  if (!manifest) throw new DataError('dataset.format is csv but dataset.manifest is not set: give the CSV file that lists the images');
  const t = readCsv(manifest, { bad });
  const base = cfg.root ?? path.dirname(manifest);
  const needPath = !cfg.pathPattern && !cfg.channelFiles;
  const pathCol = column(t, cfg, 'path', needPath);
  const idCol = column(t, cfg, 'id', !pathCol);
  // Multi-label as one 0/1 column per label replaces the label column.
  const oneHot = cfg.labelColumns?.map((c) => requireColumn(t, c, 'dataset.labelColumns'));
  const labelCol = oneHot ? undefined : column(t, cfg, 'label', true)!;
  const multi = cfg.multiLabel === 'multi' || !!oneHot;
  const known = new Set((cfg.classes ?? []).map((c) => c.toLowerCase()));
  const groupCol = column(t, cfg, 'group', false);
  const splitCol = column(t, cfg, 'split', false);
  const intensityCol = column(t, cfg, 'intensity', false);
  const mcol = maskColumn(cfg);
  if (cfg.image.mask && mcol) requireColumn(t, mcol, cfg.mask.column ? 'dataset.mask.column' : 'dataset.columns.mask');
  const used = new Set([pathCol, idCol, labelCol, groupCol, splitCol, mcol, ...(oneHot ?? [])].filter(Boolean));

  const items: DatasetItem[] = [];
  for (const row of t.rows) {
    const v = row.values;
    const where = `${manifest}:${row.line}`;
    const rel = pathCol ? v[pathCol]?.trim() : '';
    const id = (idCol ? v[idCol]?.trim() : '') || (rel ? rel.replace(IMAGE_EXT, '') : '');
    if (!id) { bad.add(where, `empty ${idCol ?? pathCol}: fill it in or delete the row`); continue; }
    let labels: string[] | undefined;
    if (oneHot) {
      const wrong = oneHot.filter((c) => !/^\s*(0|1|true|false|yes|no)?\s*$/i.test(v[c] ?? ''));
      if (wrong.length) { bad.add(where, `label column(s) ${wrong.map((c) => `${c}=${JSON.stringify(v[c])}`).join(', ')} for ${id}: one-hot label columns hold 0 or 1`, id); continue; }
      labels = oneHot.filter((c) => /^\s*(1|true|yes)\s*$/i.test(v[c] ?? ''));
    } else if (multi) labels = splitLabelSet(v[labelCol!] ?? '', known);
    const label = labels ? labels.join('|') : cleanLabel(v[labelCol!] ?? '', cfg.multiLabel);
    if (!label) { bad.add(where, `empty label (${oneHot ? `no 1 in ${oneHot.join(', ')}` : `column ${labelCol}`}) for ${id}: fill it in or delete the row`, id); continue; }
    let file: string;
    let channelPaths: DatasetItem['channelPaths'];
    if (cfg.channelFiles) {
      channelPaths = {};
      for (const [c, pattern] of Object.entries(cfg.channelFiles) as [Stain, string | undefined][]) {
        if (pattern) channelPaths[c] = resolveCaseInsensitive(path.resolve(base, expandPattern(pattern, id)));
      }
      file = Object.values(channelPaths)[0]!;
    } else if (rel) file = resolveCaseInsensitive(path.resolve(base, rel));
    else if (cfg.pathPattern) file = resolveCaseInsensitive(path.resolve(base, expandPattern(cfg.pathPattern, id)));
    else { bad.add(where, `empty ${pathCol} for ${id}: fill in the image path or delete the row`, id); continue; }
    const extra: Record<string, string> = {};
    for (const [k, x] of Object.entries(v)) if (!used.has(k)) extra[k] = x;
    if (intensityCol) extra.intensity = v[intensityCol];
    const item: DatasetItem = { id, path: file, label, extra, source: where };
    if (labels) item.labels = labels;
    if (channelPaths) item.channelPaths = channelPaths;
    if (groupCol && v[groupCol]?.trim()) item.group = v[groupCol].trim();
    if (splitCol && v[splitCol]?.trim()) {
      const s = SPLIT_VALUES[v[splitCol].trim().toLowerCase()];
      if (!s) { bad.add(where, `split '${v[splitCol]}' (column ${splitCol}) is not train, val or test: fix it or leave it empty`, id); continue; }
      item.split = s;
    }
    const mask = maskPathFor(file, id, cfg, { row: v, base, relDir: path.relative(base, path.dirname(file)) });
    if (mask) item.maskPath = mask;
    items.push(item);
  }
  const classes = [...new Set(items.map((i) => i.label))].sort();
  return { format: 'csv', root: base, classes, items };
}
