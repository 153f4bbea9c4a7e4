import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resizeSquare, fittedSize } from '../../../src/data/preprocess/resize';
import { gradient, python, tmpDir } from '../helpers';

// PIL as the reference: pad = resize the longer side to `size` and paste centred on black.
const PIL_RESIZE = `
import sys, json, numpy as np
from PIL import Image
out = []
for case in json.load(open(sys.argv[1])):
    src, w, h, c, size, mode, flt = case
    a = np.frombuffer(open(src, "rb").read(), np.uint8)
    im = Image.fromarray(a.reshape(h, w, c) if c > 1 else a.reshape(h, w))
    f = Image.BILINEAR if flt == "bilinear" else Image.LANCZOS
    if mode == "stretch":
        r = im.resize((size, size), f)
    else:
        s = size / max(w, h)
        nw, nh = max(1, round(w * s)), max(1, round(h * s))
        r = Image.new(im.mode, (size, size))
        r.paste(im.resize((nw, nh), f), ((size - nw) // 2, (size - nh) // 2))
    out.append(np.asarray(r).reshape(-1).tolist())
print(json.dumps(out))
`;

/** PIL's output for each case (one Python run). */
function pil(cases: { src: Uint8Array; w: number; h: number; c: number; size: number; mode: string; filter: string }[]): number[][] {
  const dir = tmpDir();
  const list = cases.map((k, i) => {
    const file = path.join(dir, `${i}.raw`);
    fs.writeFileSync(file, k.src);
    return [file, k.w, k.h, k.c, k.size, k.mode, k.filter];
  });
  fs.writeFileSync(path.join(dir, 'cases.json'), JSON.stringify(list));
  return python<number[][]>(PIL_RESIZE, [path.join(dir, 'cases.json')]);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('bilinear and lanczos3 resizing match PIL within one grey level (shrink, enlarge, pad, stretch, RGB)', () => {
  const cases: [number, number, number, 'pad' | 'stretch', 'bilinear' | 'lanczos3'][] = [
    [66, 75, 1, 'pad', 'bilinear'],
    [110, 38, 1, 'pad', 'bilinear'],
    [30, 21, 1, 'pad', 'bilinear'],
    [66, 75, 1, 'stretch', 'bilinear'],
    [70, 52, 3, 'pad', 'bilinear'],
    [66, 75, 1, 'pad', 'lanczos3'],
    [200, 180, 1, 'stretch', 'lanczos3'],
  ];
  const inputs = cases.map(([w, h, c, mode, filter]) => ({ src: gradient(w, h, c).map((v, i) => (v * 3 + (i % 11) * 9) % 256), w, h, c, size: 64, mode, filter }));
  const expected = pil(inputs);
  inputs.forEach((k, i) => {
    const ours = resizeSquare(k.src, k.w, k.h, k.c, 64, k.mode, 255, k.filter);
    const d = maxDiff(ours, expected[i]);
    assert.ok(d <= 1, `${k.w}x${k.h}x${k.c} ${k.mode} ${k.filter}: max difference to PIL ${d}`);
  });
});

test('pad keeps the aspect and centres the image on a zero border; same size is a copy', () => {
  assert.deepEqual(fittedSize(100, 50, 64, 'pad'), { w: 64, h: 32 });
  assert.deepEqual(fittedSize(100, 50, 64, 'stretch'), { w: 64, h: 64 });
  // A 4x2 image into 4x4: rows 1-2 hold it, rows 0 and 3 are zero.
  const src = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
  const out = resizeSquare(src, 4, 2, 1, 4, 'pad', 255);
  assert.deepEqual(Array.from(out), [0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0]);
  // 16-bit samples stay 16 bit.
  const wide = Uint16Array.from([1000, 60000, 30000, 2]);
  const r16 = resizeSquare(wide, 2, 2, 1, 2, 'stretch', 65535);
  assert.ok(r16 instanceof Uint16Array);
  assert.deepEqual(Array.from(r16), [1000, 60000, 30000, 2]);
});
