import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { selectChannels, channelCount, interleavePlanes } from '../../../src/data/preprocess/channels';
import { python, tmpDir } from '../helpers';
import type { RawImage } from '../../../src/data/decode/index';

test('grey from RGB is bit-exact with PIL convert("L"); red/green/blue pick one channel; rgb drops alpha', () => {
  const w = 16, h = 16;
  const data = Uint8Array.from({ length: w * h * 4 }, (_, i) => (i * 37 + (i >> 4) * 11) % 256);
  const file = path.join(tmpDir(), 'rgba.raw');
  fs.writeFileSync(file, data);
  const luma = python<number[]>(`
import sys, json, numpy as np
from PIL import Image
a = np.frombuffer(open(sys.argv[1], "rb").read(), np.uint8).reshape(16, 16, 4)
print(json.dumps(np.asarray(Image.fromarray(a[:, :, :3].copy()).convert("L")).reshape(-1).tolist()))
`, [file]);
  const raw: RawImage = { data, width: w, height: h, channels: 4, bitDepth: 8 };
  assert.deepEqual(Array.from(selectChannels(raw, 'gray')), luma);
  const green = selectChannels(raw, 'green');
  assert.deepEqual(Array.from(green.subarray(0, 3)), [data[1], data[5], data[9]]);
  const rgb = selectChannels(raw, 'rgb');
  assert.equal(rgb.length, w * h * 3);
  assert.deepEqual(Array.from(rgb.subarray(0, 6)), [data[0], data[1], data[2], data[4], data[5], data[6]]);
  assert.equal(channelCount('rgb'), 3);
  assert.equal(channelCount('green'), 1);
});

test('a grey source gives the same samples for every choice, 16 bit stays 16 bit', () => {
  const raw: RawImage = { data: Uint16Array.from([0, 1000, 65535, 7]), width: 2, height: 2, channels: 1, bitDepth: 16 };
  for (const c of ['gray', 'red', 'green', 'blue'] as const) assert.deepEqual(Array.from(selectChannels(raw, c)), [0, 1000, 65535, 7]);
  const rgb = selectChannels(raw, 'rgb');
  assert.ok(rgb instanceof Uint16Array);
  assert.deepEqual(Array.from(rgb.subarray(0, 6)), [0, 0, 0, 1000, 1000, 1000]);
  assert.deepEqual(Array.from(interleavePlanes([Uint8Array.from([1, 2]), Uint8Array.from([3, 4]), Uint8Array.from([5, 6])], 8)), [1, 3, 5, 2, 4, 6]);
});
