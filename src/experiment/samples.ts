// A look at the images before training: a few thumbnails per class, as an
// HTML table in notebooks (data: URLs, so static exports keep them).
import sharp from 'sharp';
import type { DatasetItem } from '../data/types';
import { applyMask } from '../data/preprocess/mask';
import { displayBundle, inNotebook } from '../plots/index';
import { Random } from '../engine/random';

export interface SampleOptions {
  perClass?: number;
  /** Thumbnail edge in px. */
  size?: number;
  /** Apply each item's mask (pixels outside the cell set to 0), as training does. */
  masked?: boolean;
  seed?: number;
}

async function thumbnail(item: DatasetItem, size: number, masked: boolean): Promise<string> {
  let img = sharp(item.path).greyscale();
  if (masked && item.maskPath) {
    const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
    const mask = await sharp(item.maskPath).greyscale().raw().toBuffer({ resolveWithObject: true });
    if (mask.info.width === info.width && mask.info.height === info.height) {
      const inside = Uint8Array.from(mask.data, (v) => (v > 127 ? 1 : 0));
      applyMask(data, 1, inside, 255);
    }
    img = sharp(data, { raw: { width: info.width, height: info.height, channels: 1 } });
  }
  const png = await img.resize(size, size, { fit: 'contain', background: { r: 0, g: 0, b: 0, alpha: 1 } }).png().toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}

/** Thumbnails of `perClass` random items of every class (shown in notebooks, listed elsewhere). */
export async function showSamples(items: DatasetItem[], o: SampleOptions = {}): Promise<void> {
  const perClass = o.perClass ?? 6, size = o.size ?? 72;
  const rng = new Random(o.seed ?? 0);
  const classes = [...new Set(items.map((i) => i.label))].sort();
  const rows: string[] = [];
  const text: string[] = [];
  for (const c of classes) {
    const members = rng.shuffle(items.filter((i) => i.label === c)).slice(0, perClass);
    const cells = await Promise.all(members.map(async (m) =>
      `<td style="padding:2px"><img src="${await thumbnail(m, size, o.masked ?? true)}" width="${size}" height="${size}" title="${m.id}${m.group ? ` (specimen ${m.group})` : ''}"/></td>`));
    rows.push(`<tr><th style="text-align:right;padding-right:8px;font-family:sans-serif;font-size:12px;color:#222;background:#fff">${c}</th>${cells.join('')}</tr>`);
    text.push(`${c}: ${members.map((m) => m.id).join(', ')}`);
  }
  const html = `<table style="border-collapse:collapse;background:#fff">${rows.join('')}</table>`;
  if (inNotebook()) displayBundle({ 'text/html': html, 'text/plain': text.join('\n') });
  else console.log(text.join('\n'));
}
