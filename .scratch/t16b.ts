import sharp from 'sharp';
(async () => {
  const w = 4, h = 2;
  const d16 = new Uint16Array(w * h).map((_, i) => i * 8000);
  const img = sharp(Buffer.from(d16.buffer), { raw: { width: w, height: h, channels: 1, depth: 'ushort' } as any });
  const buf = await img.toColourspace('grey16').tiff().toBuffer();
  console.log(await sharp(buf).metadata());
  const d4 = new Uint8Array(w * h * 4).map((_, i) => i);
  const b4 = await sharp(Buffer.from(d4), { raw: { width: w, height: h, channels: 4 } }).tiff().toBuffer();
  const m = await sharp(b4).metadata(); console.log(m.channels, m.space, m.hasAlpha);
  const { data, info } = await sharp(b4).raw().toBuffer({ resolveWithObject: true }); console.log(info, Array.from(data).slice(0, 8));
})();
