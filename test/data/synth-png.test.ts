// The generator's PNG writer: any reader (here sharp) gets the exact pixels back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { encodeGreyPng } from '../../src/data/synth/png';
import { Random } from '../../src/engine/random';

test('grey PNGs decode to the same pixels, one 8-bit channel, for odd and even sizes; same pixels give the same bytes', async () => {
  const rng = new Random(5);
  for (const [w, h] of [[1, 1], [61, 100], [100, 73], [64, 64]]) {
    const px = Uint8Array.from({ length: w * h }, () => rng.int(256));
    const png = encodeGreyPng(px, w, h, 'test');
    const meta = await sharp(png).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height, meta.channels, meta.depth], ['png', w, h, 1, 'uchar']);
    const back = await sharp(png).extractChannel(0).raw().toBuffer();
    assert.deepEqual(new Uint8Array(back), px, `${w}x${h} round trip`);
    assert.ok(encodeGreyPng(px, w, h, 'test').equals(png));
  }
  assert.throws(() => encodeGreyPng(new Uint8Array(10), 4, 4, 'cell 7'), /encoding cell 7: 10 pixels do not make a 4x4 grey image/);
});
