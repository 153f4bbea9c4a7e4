// Where an image's mask is: a manifest column, or a naming rule
// (`mask.pattern`, default `{stem}_mask.png`) beside the image or under
// `mask.dir` (a parallel folder: same sub-folders as the images).
import * as path from 'node:path';
import type { DatasetConfig } from './schema';
import { expandPattern, resolveAnyImageExt, resolveCaseInsensitive } from './files';

export interface MaskContext {
  /** The manifest row, when there is one. */
  row?: Record<string, string>;
  /** Folder that relative paths in the manifest are relative to. */
  base?: string;
  /** Sub-folder of the image below the dataset root (e.g. the class folder), mirrored under mask.dir. */
  relDir?: string;
}

export function maskColumn(cfg: DatasetConfig): string | undefined {
  return cfg.mask.column ?? cfg.columns.mask;
}

/** The mask path of an image (possibly not existing: checked later), or undefined when masks are off or not given. */
export function maskPathFor(image: string, id: string, cfg: DatasetConfig, ctx: MaskContext = {}): string | undefined {
  if (!cfg.image.mask) return undefined;
  const column = maskColumn(cfg);
  if (column && ctx.row) {
    const value = ctx.row[column]?.trim();
    if (!value) return undefined;
    return resolveCaseInsensitive(path.resolve(cfg.mask.dir ?? ctx.base ?? path.dirname(image), value));
  }
  const name = path.basename(image);
  const ext = path.extname(name);
  const stem = name.slice(0, name.length - ext.length);
  const pattern = cfg.mask.pattern ?? (cfg.mask.dir ? '{name}' : '{stem}_mask.png');
  const dir = cfg.mask.dir ? path.join(cfg.mask.dir, ctx.relDir ?? '') : path.dirname(image);
  const file = path.join(dir, expandPattern(pattern, id, stem, name, ext.replace(/^\./, '')));
  // The default rule accepts any image extension (ICPR's full images have `NN_mask.bmp`).
  return cfg.mask.pattern ? resolveCaseInsensitive(file) : resolveAnyImageExt(file);
}
