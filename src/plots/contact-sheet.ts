// A contact sheet: rows of image tiles with captions, one PNG. Galleries (cells
// per class, dropped anomalies, top losses, Grad-CAM) are drawn with it, so a
// notebook, an MLflow artifact and the HTML report show the same picture.
// Drawn as an SVG (tiles embedded as data: URLs) and rasterised by sharp, whose
// librsvg draws the captions in DejaVu Sans (fonts-dejavu-core).
import sharp from 'sharp';

export interface SheetTile {
  /** The tile image (PNG), drawn at its own pixel size scaled to `tileSize`. */
  png: Uint8Array;
  /** Caption lines under the tile (cut to the tile's width). */
  caption?: string | string[];
  /** A coloured frame, e.g. red for a wrong prediction. */
  border?: string;
}

export interface SheetRow {
  /** Row heading on the left (a class name, "dropped" ...). */
  label?: string;
  tiles: SheetTile[];
}

export interface ContactSheet {
  title: string;
  /** A grey line under the title. */
  subtitle?: string;
  rows: SheetRow[];
  /** Tile edge in px (default 96). */
  tileSize?: number;
}

const FONT = "'DejaVu Sans', sans-serif";
const CAPTION_PX = 10, CAPTION_LINE = 12, GAP = 6, PAD = 10;
// DejaVu Sans averages ~0.6 em per character at these sizes.
const charsFor = (px: number, fontPx: number) => Math.max(4, Math.floor(px / (fontPx * 0.6)));

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function cut(s: string, chars: number): string {
  return s.length <= chars ? s : `${s.slice(0, Math.max(1, chars - 1))}…`;
}

const lines = (c: SheetTile['caption']): string[] => (c === undefined ? [] : Array.isArray(c) ? c : [c]);

/** Width and height of the sheet in px. */
export function sheetSize(sheet: ContactSheet): { width: number; height: number } {
  return layout(sheet).size;
}

function layout(sheet: ContactSheet) {
  const tile = sheet.tileSize ?? 96;
  const labelChars = Math.max(0, ...sheet.rows.map((r) => (r.label ?? '').length));
  const labelW = labelChars ? Math.round(Math.min(180, labelChars * 7.5 + 12)) : 0;
  const maxTiles = Math.max(1, ...sheet.rows.map((r) => r.tiles.length));
  const captionLines = Math.max(0, ...sheet.rows.flatMap((r) => r.tiles.map((t) => lines(t.caption).length)));
  const rowH = tile + (captionLines ? captionLines * CAPTION_LINE + 4 : 0) + GAP;
  const header = 22 + (sheet.subtitle ? 16 : 0);
  // Wide enough for the title (15 px) and subtitle (11 px) too.
  const width = Math.ceil(Math.max(PAD * 2 + labelW + maxTiles * (tile + GAP), PAD * 2 + sheet.title.length * 15 * 0.6, Math.min(900, PAD * 2 + (sheet.subtitle ?? '').length * 11 * 0.6)));
  const height = Math.ceil(PAD + header + Math.max(1, sheet.rows.length) * rowH + PAD);
  return { tile, labelW, rowH, header, size: { width, height } };
}

/** The sheet as an SVG document (tiles inlined as PNG data URLs). */
export function contactSheetSvg(sheet: ContactSheet): string {
  const { tile, labelW, rowH, header, size } = layout(sheet);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${size.width}" height="${size.height}" viewBox="0 0 ${size.width} ${size.height}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${PAD}" y="${PAD + 14}" font-family="${FONT}" font-size="15" fill="#222">${esc(sheet.title)}</text>`,
  ];
  if (sheet.subtitle) parts.push(`<text x="${PAD}" y="${PAD + 30}" font-family="${FONT}" font-size="11" fill="#555">${esc(cut(sheet.subtitle, charsFor(size.width - 2 * PAD, 11)))}</text>`);
  if (sheet.rows.every((r) => r.tiles.length === 0)) {
    parts.push(`<text x="${PAD}" y="${PAD + header + 16}" font-family="${FONT}" font-size="12" fill="#555">(nothing to show)</text>`);
  }
  sheet.rows.forEach((row, r) => {
    const y0 = PAD + header + r * rowH;
    if (row.label) {
      parts.push(`<text x="${PAD + labelW - 8}" y="${y0 + tile / 2 + 4}" text-anchor="end" font-family="${FONT}" font-size="12" fill="#222">${esc(cut(row.label, Math.floor((labelW - 12) / 7.5)))}</text>`);
    }
    row.tiles.forEach((t, i) => {
      const x = PAD + labelW + i * (tile + GAP);
      const href = `data:image/png;base64,${Buffer.from(t.png).toString('base64')}`;
      parts.push(`<image x="${x}" y="${y0}" width="${tile}" height="${tile}" preserveAspectRatio="xMidYMid meet" href="${href}"/>`);
      if (t.border) parts.push(`<rect x="${x + 1}" y="${y0 + 1}" width="${tile - 2}" height="${tile - 2}" fill="none" stroke="${esc(t.border)}" stroke-width="2"/>`);
      lines(t.caption).forEach((line, k) => {
        parts.push(`<text x="${x}" y="${y0 + tile + 11 + k * CAPTION_LINE}" font-family="${FONT}" font-size="${CAPTION_PX}" fill="#333">${esc(cut(line, charsFor(tile, CAPTION_PX)))}</text>`);
      });
    });
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** The sheet as PNG (one pixel per SVG unit: tiles keep their pixels). */
export async function contactSheetPng(sheet: ContactSheet): Promise<Buffer> {
  try {
    // Quantised to a palette (dithered): a gallery is for looking, and notebooks committed with
    // their outputs must stay small (a sheet of noisy cell images shrinks ~3x).
    return await sharp(Buffer.from(contactSheetSvg(sheet)), { density: 72 }).png({ compressionLevel: 9, palette: true, colours: 128 }).toBuffer();
  } catch (err) {
    throw new Error(`sharp could not draw the contact sheet "${sheet.title}": ${(err as Error).message}`);
  }
}
