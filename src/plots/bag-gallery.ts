// A contact sheet of a bag's images as Vega-Lite image marks, in the order
// given (e.g. a patient's cells by attention weight), each captioned. The
// caller provides each image's URL (a `data:image/png;base64,...` URI keeps
// the spec self-contained).
import { envelope, round, type VegaLiteSpec } from './spec';

export interface GalleryImage {
  id: string;
  /** Image URL or data URI. */
  url: string;
  /** Shown in the caption, e.g. the attention weight. */
  weight?: number;
  /** Caption override. */
  caption?: string;
}

export interface BagGallerySpecOptions {
  title?: string;
  subtitle?: string;
  /** Images per row (default 8). */
  columns?: number;
  /** Displayed size in pixels (default 72). */
  size?: number;
  /** Caption prefix for weights (default `w`). */
  weightName?: string;
}

export function bagGallerySpec(images: GalleryImage[], o: BagGallerySpecOptions = {}): VegaLiteSpec {
  if (images.length === 0) throw new RangeError('bagGallerySpec: no images to show.');
  const cols = Math.max(1, Math.min(o.columns ?? 8, images.length));
  const rows = Math.ceil(images.length / cols);
  const size = o.size ?? 72;
  const values = images.map((im, i) => ({
    rank: i + 1, id: im.id, url: im.url, col: i % cols, row: Math.floor(i / cols),
    caption: im.caption ?? `#${i + 1}${im.weight !== undefined ? ` ${o.weightName ?? 'w'}=${round(im.weight, 3)}` : ''}`,
    ...(im.weight !== undefined ? { weight: round(im.weight) } : {}),
  }));
  const x = { field: 'col', type: 'ordinal', axis: null, scale: { paddingInner: 0.1, paddingOuter: 0.05 } };
  const y = { field: 'row', type: 'ordinal', axis: null, scale: { paddingInner: 0.3, paddingOuter: 0.1 } };
  return envelope(o.title ?? 'Images', o.subtitle, {
    width: cols * (size + 10),
    height: rows * (size + 26),
    data: { values },
    layer: [
      {
        mark: { type: 'image', width: size, height: size, aspect: true },
        encoding: { x, y, url: { field: 'url', type: 'nominal' }, tooltip: [{ field: 'id', title: 'Image' }, { field: 'rank', title: 'Rank' }, ...(values.some((v) => 'weight' in v) ? [{ field: 'weight', title: o.weightName ?? 'weight' }] : [])] },
      },
      {
        mark: { type: 'text', dy: size / 2 + 9, fontSize: 10, color: '#333' },
        encoding: { x, y, text: { field: 'caption', type: 'nominal' } },
      },
    ],
  });
}
