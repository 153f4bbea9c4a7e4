import { decodeFile } from '../src/data/decode/index';
(async () => {
  for (const f of ['rgba.tif', 'rgba.png']) { const r = await decodeFile(`${__dirname}/${f}`); console.log(f, r.bitDepth, r.channels, Array.from(r.data).slice(0, 8)); }
})();
