// Contact sheets (galleries) and heat-map overlays: the PNG holds each tile's pixels where
// the layout puts them, captions and headings are drawn, frames have their colour.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { contactSheetPng, contactSheetSvg, sheetSize, type ContactSheet } from '../../src/plots/contact-sheet';
import { jet, overlayHeatmap, pixelsToPng } from '../../src/plots/heatmap';

const solid = (r: number, g: number, b: number) => sharp({ create: { width: 24, height: 24, channels: 3, background: { r, g, b } } }).png().toBuffer();

async function pixel(png: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return [data[i], data[i + 1], data[i + 2]];
}

test('a contact sheet draws every tile in its row, with captions, headings and frames', async () => {
  const sheet: ContactSheet = {
    title: 'Cells per class', subtitle: 'masked', tileSize: 48,
    rows: [
      { label: 'homogeneous', tiles: [{ png: await solid(255, 0, 0), caption: ['id 1', 'p=0.93'] }, { png: await solid(0, 0, 255), caption: 'id 2', border: '#00ff00' }] },
      { label: 'nucleolar', tiles: [{ png: await solid(0, 200, 0), caption: 'a caption far too long to fit under one small tile' }] },
    ],
  };
  const svg = contactSheetSvg(sheet);
  for (const text of ['Cells per class', 'homogeneous', 'nucleolar', 'id 1', 'p=0.93']) assert.ok(svg.includes(`>${text}</text>`), `${text} is drawn`);
  assert.match(svg, />a cap[^<]{0,4}…<\/text>/, 'a long caption is cut with an ellipsis');
  const png = await contactSheetPng(sheet);
  const meta = await sharp(png).metadata();
  assert.deepEqual({ width: meta.width, height: meta.height }, sheetSize(sheet));
  // Tiles: x = pad + label column + i * (tile + gap); y = pad + header + row * rowHeight.
  const svgTiles = [...svg.matchAll(/<image x="([\d.]+)" y="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
  assert.equal(svgTiles.length, 3);
  assert.deepEqual(await pixel(png, svgTiles[0][0] + 24, svgTiles[0][1] + 24), [255, 0, 0]);
  assert.deepEqual(await pixel(png, svgTiles[1][0] + 24, svgTiles[1][1] + 24), [0, 0, 255]);
  assert.deepEqual(await pixel(png, svgTiles[2][0] + 24, svgTiles[2][1] + 24), [0, 200, 0]);
  const frame = await pixel(png, svgTiles[1][0] + 1, svgTiles[1][1] + 24);
  assert.ok(frame[1] > 200 && frame[0] < 60, `the second tile has a green frame, got ${frame}`);
  assert.ok(svgTiles[2][1] > svgTiles[0][1], 'the second row is below the first');
});

test('an empty sheet says so instead of drawing nothing', () => {
  assert.match(contactSheetSvg({ title: 'Misclassified', rows: [] }), />\(nothing to show\)<\/text>/);
});

test('a heat map over an image: hot pixels turn red, cold ones keep the image', async () => {
  assert.deepEqual(jet(0), [0, 0, 128]);
  assert.deepEqual(jet(1), [128, 0, 0]);
  assert.deepEqual(jet(0.5), [128, 255, 128]);
  const grey = { data: new Uint8Array(4).fill(100), width: 2, height: 2, channels: 1 as const };
  const out = overlayHeatmap(grey, Float32Array.from([1, 0, 0, 0]), { alpha: 0.6 });
  assert.ok(out.data[0] > out.data[2] + 20, 'the hot pixel is red');
  assert.ok(Math.abs(out.data[3 * 3] - 100) < 20 && out.data[3 * 3 + 2] > 100, 'a cold pixel keeps most of the grey, tinted blue');
  assert.throws(() => overlayHeatmap(grey, new Float32Array(3)), /3 values but the image is 2x2/);
  const png = await pixelsToPng(out);
  assert.equal((await sharp(png).metadata()).width, 2);
});
