import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyMask, maskBits, selectMasked8 } from '../../../src/data/preprocess/mask';
import { selectChannels } from '../../../src/data/preprocess/channels';
import type { RawImage } from '../../../src/data/decode/index';

test('pixels outside the mask become 0 and the mean is taken inside the mask only', () => {
  const pixels = Uint8Array.from([10, 20, 30, 40, 50, 60]);
  const mask: RawImage = { data: Uint8Array.from([255, 0, 255, 128, 127, 0]), width: 3, height: 2, channels: 1, bitDepth: 8 };
  const inside = maskBits(mask);
  assert.deepEqual(Array.from(inside), [1, 0, 1, 1, 0, 0], 'inside = above half range');
  const mean = applyMask(pixels, 1, inside, 255);
  assert.deepEqual(Array.from(pixels), [10, 0, 30, 40, 0, 0]);
  assert.equal(mean, (10 + 30 + 40) / 3 / 255);
  const empty = applyMask(Uint8Array.from([5]), 1, Uint8Array.from([0]), 255);
  assert.ok(Number.isNaN(empty), 'empty mask: no mean');
  assert.equal(applyMask(Uint8Array.from([51, 102]), 1, undefined, 255), 0.3, 'no mask: whole image');
});

test('the fused 8-bit path equals channel selection + mask + mean', () => {
  const w = 9, h = 7;
  const raw: RawImage = { data: Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 53) % 256), width: w, height: h, channels: 3, bitDepth: 8 };
  const mask: RawImage = { data: Uint8Array.from({ length: w * h * 3 }, (_, i) => ((i / 3) % 4 ? 255 : 0)), width: w, height: h, channels: 3, bitDepth: 8 };
  for (const want of ['gray', 'green'] as const) {
    const slow = selectChannels(raw, want);
    const mean = applyMask(slow, 1, maskBits(mask), 255);
    const fast = selectMasked8(raw, want, mask);
    assert.deepEqual(Array.from(fast.pixels), Array.from(slow), want);
    assert.equal(fast.mean, mean, want);
  }
});
