// Galleries: looking at the data before deciding. Each builder returns plain tiles
// (PNG + caption) in rows; plots draws them as one contact sheet and notebooks show
// it (display.ts). Cells per class with their masks outlined, one image through the
// training augmentation n times, the anomaly filter's dropped images next to
// typical images of their class.
import { inspect } from 'node:util';
import sharp from 'sharp';
import type { AugmentConfig, ImageConfig } from './schema';
import type { DatasetItem } from './types';
import type { AnomalyResult } from './anomaly';
import { Random, seedFrom } from '../engine/random';
import { prepareImage, toUnitFloats, channelCount } from './image';
import { makeAugmenter } from './augment/pipeline';
import { DataError } from './bad-input';
import { pixelsPng, thumbnailPng, type MaskStyle } from './thumbnail';

export interface GalleryTile {
  png: Buffer;
  caption?: string[];
  /** A coloured frame (red: dropped or misclassified). */
  border?: string;
  /** The item shown (for text listings). */
  id?: string;
}

export interface GalleryRow {
  label?: string;
  tiles: GalleryTile[];
}

/** A titled grid of tiles: what plots.contactSheetPng draws and notebooks show. */
export interface Gallery {
  title: string;
  subtitle?: string;
  rows: GalleryRow[];
  tileSize: number;
}

/** One line per row: what a terminal prints instead of the picture. */
export function galleryText(g: Gallery): string {
  const rows = g.rows.map((r) => `${r.label ?? ''}: ${r.tiles.map((t) => [t.id, ...(t.caption ?? []).filter((c) => c !== t.id)].filter(Boolean).join(' ')).join(' | ')}`);
  return [g.title, ...(g.subtitle ? [g.subtitle] : []), ...rows].join('\n');
}

/** A gallery object prints as one line in a notebook (the picture is shown, not its bytes). */
export function makeGallery(g: Gallery): Gallery {
  const tiles = g.rows.reduce((n, r) => n + r.tiles.length, 0);
  Object.defineProperty(g, inspect.custom, { value: () => `<gallery: ${g.title}, ${tiles} image(s)>`, enumerable: false });
  return g;
}

export interface ClassGalleryOptions {
  /** Rows: one per class (the only layout so far). */
  per?: 'class';
  /** Images per class (default 8). */
  n?: number;
  /** Outline each cell's mask (true: outline; 'apply': pixels outside set to 0, as training sees them). */
  masks?: boolean | MaskStyle;
  /** Tile edge in px (default 80). */
  size?: number;
  seed?: number;
  /** Channels and resize mode (default: the item's own: grey, or RGB for one file per colour). */
  image?: Partial<ImageConfig>;
  classes?: string[];
}

/** `n` random items of every class, one row per class. */
export async function classGallery(items: DatasetItem[], o: ClassGalleryOptions = {}): Promise<Gallery> {
  const n = o.n ?? 8, size = o.size ?? 80;
  const rng = new Random(seedFrom(o.seed ?? 0, 'gallery'));
  const classes = o.classes ?? [...new Set(items.map((i) => i.label))].sort();
  const style: MaskStyle = o.masks === true ? 'outline' : o.masks === false || o.masks === undefined ? 'none' : o.masks;
  const rows: GalleryRow[] = [];
  for (const c of classes) {
    const members = rng.shuffle(items.filter((i) => i.label === c)).slice(0, n);
    const tiles = await Promise.all(members.map(async (m) => ({
      id: m.id,
      png: await thumbnailPng(m, { size, mask: m.maskPath ? style : 'none', channels: o.image?.channels, resize: o.image?.resize }),
      caption: [m.id, ...(m.group ? [`specimen ${m.group}`] : [])],
    })));
    rows.push({ label: `${c} (${items.filter((i) => i.label === c).length})`, tiles });
  }
  const maskNote = style === 'outline' ? '; mask outlined in yellow' : style === 'apply' ? '; pixels outside the mask set to 0' : '';
  return makeGallery({ title: `${n} random cell(s) per class`, subtitle: `${items.length} items, ${classes.length} classes${maskNote}`, rows, tileSize: size });
}

/** 0..1 floats (values outside are clipped) to an 8-bit PNG, scaled to `size` with nearest-neighbour (pixels stay visible). */
async function floatsPng(x: Float32Array, side: number, channels: number, size: number): Promise<Buffer> {
  const data = Uint8Array.from(x, (v) => Math.round(255 * Math.min(1, Math.max(0, v))));
  const png = await pixelsPng({ data, width: side, height: side, channels: channels as 1 | 3 });
  return side === size ? png : sharp(png).resize(size, size, { kernel: 'nearest' }).png().toBuffer();
}

export interface AugmentPreviewOptions {
  /** Tile edge in px (default: the image size, at least 64). */
  size?: number;
  seed?: number;
}

/**
 * One item through the training augmentation `n` times (the first tile is the item as
 * prepared, unaugmented). Pixels as the network gets them before normalisation.
 */
export async function augmentPreview(item: DatasetItem, augment: AugmentConfig | false, image: ImageConfig, n = 8, o: AugmentPreviewOptions = {}): Promise<Gallery> {
  if (!augment) throw new DataError('dataset.augment is not set (false): there is no training augmentation to preview. Set dataset.augment (flips, rotations, crops ...) first');
  const p = await prepareImage(item, image);
  const one = toUnitFloats(p);
  const side = image.size, c = channelCount(image.channels), per = side * side * c;
  const x = new Float32Array(per * n);
  for (let i = 0; i < n; i++) x.set(one, i * per);
  const batch = { x, y: new Float32Array(n), labels: new Int32Array(n), n, shape: [side, side, c] as [number, number, number], numClasses: 1 };
  makeAugmenter(augment)(batch, new Random(seedFrom(o.seed ?? 0, 'augment-preview', item.id)));
  const size = o.size ?? Math.max(64, side);
  const tiles: GalleryTile[] = [{ id: item.id, png: await floatsPng(one, side, c, size), caption: ['original'], border: '#4c78a8' }];
  for (let i = 0; i < n; i++) tiles.push({ png: await floatsPng(batch.x.subarray(i * per, (i + 1) * per), side, c, size), caption: [`#${i + 1}`] });
  const used = Object.entries(augment).filter(([, v]) => v !== false && v !== 0 && v !== undefined && v !== null).map(([k]) => k);
  return makeGallery({ title: `${item.id} (${item.label}) through the training augmentation ${n} times`, subtitle: `augment: ${used.join(', ')}`, rows: [{ tiles }], tileSize: size });
}

export interface AnomalyGalleryOptions {
  /** Typical images of the same class shown beside each dropped one (default 3). */
  typical?: number;
  /** At most this many dropped images (default 24). */
  max?: number;
  size?: number;
  image?: Partial<ImageConfig>;
}

/**
 * The anomaly filter's dropped images, one row each: the dropped image (red frame, its
 * z-score and mean intensity), then the kept images of its class closest to the class mean.
 */
export async function anomalyGallery(result: AnomalyResult, o: AnomalyGalleryOptions = {}): Promise<Gallery> {
  const size = o.size ?? 80, k = o.typical ?? 3;
  const dropped = result.dropped.slice(0, o.max ?? 24);
  const thumb = (it: DatasetItem) => thumbnailPng(it, { size, mask: it.maskPath ? 'outline' : 'none', channels: o.image?.channels, resize: o.image?.resize });
  const typical = new Map<string, DatasetItem[]>();
  for (const c of result.classes) {
    const kept = result.kept.filter((it) => it.label === c.label && result.mean(it.id) !== undefined);
    typical.set(c.label, kept.sort((a, b) => Math.abs(result.mean(a.id)! - c.mean) - Math.abs(result.mean(b.id)! - c.mean)).slice(0, k));
  }
  const rows: GalleryRow[] = [];
  for (const d of dropped) {
    const tiles: GalleryTile[] = [{ id: d.id, png: await thumb(d.item), border: '#e45756', caption: [d.id, `z ${d.z >= 0 ? '+' : ''}${d.z.toFixed(1)}`, `mean ${d.mean.toFixed(3)}`] }];
    for (const t of typical.get(d.label) ?? []) tiles.push({ id: t.id, png: await thumb(t), caption: [t.id, 'typical', `mean ${result.mean(t.id)!.toFixed(3)}`] });
    // The reason in short: which side of its class (or specimen) it fell on.
    rows.push({ label: `${d.label}: ${d.z > 0 ? 'too bright' : 'too dim'}`, tiles });
  }
  const more = result.dropped.length > dropped.length ? ` (first ${dropped.length} shown)` : '';
  return makeGallery({
    title: `Anomaly filter: ${result.dropped.length} dropped image(s)${more}`,
    subtitle: `mean intensity more than ${result.std} std from ${result.method === 'specimen' ? 'its specimen (robust, log scale)' : 'its class mean'}; red frame = dropped, then typical images of the class`,
    rows, tileSize: size,
  });
}
