// `dataset.cells`: each field image becomes single-cell crops that inherit
// its labels (weak supervision: labels are per image). Cells come from the
// image's segmentation label image, or from Otsu's threshold of its nuclear
// stain. A crop item keeps its image's files and carries its region.
import * as path from 'node:path';
import type { CellsConfig } from '../schema';
import type { DatasetItem } from '../types';
import { BadInputCollector, type BadInput } from '../bad-input';
import { decodeFile, DecodeError, maxSample } from '../decode/index';
import { expandPattern, resolveCaseInsensitive } from '../files';
import { STAINS } from '../preprocess/channels';
import { labelBoxes, nucleiCells, type CellBox } from './segment';

export interface CellItemsResult {
  /** One item per cell, in image order; `crop.image` names the image. */
  items: DatasetItem[];
  /** Cells found per image id. */
  counts: Map<string, number>;
  skipped: BadInput[];
}

/** The separator between an image id and its cell number in cell item ids (`<image>#c3`). */
export const CELL_ID_SEPARATOR = '#c';

async function cellsOf(item: DatasetItem, cfg: CellsConfig, root: string): Promise<{ boxes: CellBox[]; segmentation?: string; why: string }> {
  if (cfg.segmentation) {
    const file = resolveCaseInsensitive(path.resolve(root, expandPattern(cfg.segmentation, item.id)));
    const seg = await decodeFile(file);
    const plane = seg.channels === 1 ? seg.data : seg.data.filter((_, i) => i % seg.channels === 0);
    const boxes = labelBoxes(plane, seg.width, seg.height).filter((b) => b.area >= cfg.minArea);
    return { boxes, segmentation: file, why: `segmentation ${file} has no cell of ${cfg.minArea}+ pixels` };
  }
  const stain = cfg.nucleiChannel;
  const file = item.channelPaths ? item.channelPaths[stain] : item.path;
  if (!file) throw new DecodeError(item.path, `dataset.cells finds nuclei in the ${stain} stain but the item has no ${stain} file (dataset.channelFiles.${stain}); set dataset.cells.nucleiChannel`);
  const raw = await decodeFile(file);
  const c = raw.channels >= 3 && !item.channelPaths ? STAINS.indexOf(stain) : 0;
  if (c >= raw.channels) throw new DecodeError(file, `has ${raw.channels} channels; the ${stain} stain (dataset.cells.nucleiChannel) is not among them`);
  const plane = raw.data.filter((_, i) => i % raw.channels === c);
  const { boxes, threshold } = nucleiCells(plane, raw.width, raw.height, { maxValue: maxSample(raw.bitDepth), minArea: cfg.minArea, expand: cfg.expand });
  return { boxes, why: `no nucleus of ${cfg.minArea}+ pixels above Otsu's threshold ${threshold.toFixed(1)} of the ${stain} stain in ${file}` };
}

/**
 * Split every image into cell items (at most `maxCells`, the largest). An image where no
 * cell is found is bad input (listed; skipped under onBadInput: skip).
 */
export async function cellItems(images: DatasetItem[], cfg: CellsConfig, root: string, onProgress?: (done: number, total: number) => void): Promise<CellItemsResult> {
  const bad = new BadInputCollector();
  const items: DatasetItem[] = [];
  const counts = new Map<string, number>();
  let done = 0;
  for (const im of images) {
    try {
      const { boxes, segmentation, why } = await cellsOf(im, cfg, root);
      const kept = [...boxes].sort((a, b) => b.area - a.area || a.y - b.y || a.x - b.x).slice(0, cfg.maxCells).sort((a, b) => a.y - b.y || a.x - b.x);
      if (kept.length === 0) bad.add(im.source ?? im.path, `no cell found: ${why}. Lower dataset.cells.minArea, or give a segmentation (dataset.cells.segmentation)`, im.id);
      counts.set(im.id, kept.length);
      kept.forEach((b, k) => items.push({
        ...im, id: `${im.id}${CELL_ID_SEPARATOR}${k + 1}`, extra: { ...im.extra, image: im.id },
        crop: { x: b.x, y: b.y, width: b.width, height: b.height, image: im.id, ...(segmentation && cfg.isolate && b.cell !== undefined ? { cell: b.cell, segmentation } : {}) },
      }));
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      bad.add(err.file, err.problem, im.id);
    }
    onProgress?.(++done, images.length);
  }
  return { items, counts, skipped: bad.problems };
}
