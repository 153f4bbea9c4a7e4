import sharp from 'sharp';
import { decodeBuffer } from '../src/data/decode/index';
(async () => {
  const w = 4, h = 2;
  const d16 = new Uint16Array(w * h).map((_, i) => i * 8000);
  const buf = await sharp(d16, { raw: { width: w, height: h, channels: 1 } }).toColourspace('grey16').tiff().toBuffer();
  const r = await decodeBuffer(buf, 'x.tif'); console.log('grey16', r.bitDepth, r.channels, Array.from(r.data));
  const d4 = new Uint8Array(w * h * 4).map((_, i) => i * 7);
  const b4 = await sharp(d4, { raw: { width: w, height: h, channels: 4 } }).tiff().toBuffer();
  console.log((await sharp(b4).metadata()).channels);
  const r4 = await decodeBuffer(b4, 'x4.tif'); console.log('rgba8', r4.bitDepth, r4.channels, Array.from(r4.data).slice(0, 8));
  const d416 = new Uint16Array(w * h * 4).map((_, i) => i * 1000);
  const b416 = await sharp(d416, { raw: { width: w, height: h, channels: 4 } }).toColourspace('rgb16').tiff().toBuffer();
  const r416 = await decodeBuffer(b416, 'x416.tif'); console.log('rgba16', r416.bitDepth, r416.channels, Array.from(r416.data).slice(0, 8));
})();
