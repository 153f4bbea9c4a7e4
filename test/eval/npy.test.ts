// .npy files as NumPy writes and reads them: np.load is the oracle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { decodeNpy, encodeNpy } from '../../src/eval/npy';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-npy-'));

function python(code: string): string {
  const r = spawnSync('/usr/bin/python3', ['-c', code], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 (numpy) failed: ${r.stderr}`);
  return r.stdout.trim();
}

test('np.load reads what encodeNpy writes: dtype, shape and values', () => {
  const f32 = Float32Array.from({ length: 5 * 3 }, (_, i) => i / 7 - 1);
  const cases: [string, Float32Array | Float64Array | Int32Array, number[]][] = [
    ['f32.npy', f32, [5, 3]],
    ['f64.npy', Float64Array.from([Math.PI, -2.5e-300]), [2]],
    ['i32.npy', Int32Array.from([1, -2, 3, 4, 5, 6, 7, 8]), [2, 2, 2]],
    ['empty.npy', new Float32Array(0), [0, 4]],
  ];
  for (const [name, data, shape] of cases) fs.writeFileSync(path.join(dir, name), encodeNpy(data, shape));
  const out = JSON.parse(python(`
import json, numpy as np
out = {}
for n in ['f32.npy', 'f64.npy', 'i32.npy', 'empty.npy']:
    a = np.load('${dir}/' + n)
    out[n] = {'dtype': str(a.dtype), 'shape': list(a.shape), 'values': a.reshape(-1).tolist()}
print(json.dumps(out))`));
  assert.deepEqual(out['f32.npy'].shape, [5, 3]);
  assert.equal(out['f32.npy'].dtype, 'float32');
  assert.deepEqual(out['f32.npy'].values, Array.from(f32));
  assert.deepEqual(out['f64.npy'], { dtype: 'float64', shape: [2], values: [Math.PI, -2.5e-300] });
  assert.deepEqual(out['i32.npy'], { dtype: 'int32', shape: [2, 2, 2], values: [1, -2, 3, 4, 5, 6, 7, 8] });
  assert.deepEqual(out['empty.npy'].shape, [0, 4]);
  // The header is padded so the data starts on a 64-byte boundary (what NumPy writes).
  const bytes = encodeNpy(f32, [5, 3]);
  assert.equal((bytes[8] | (bytes[9] << 8)) % 64, 54);
});

test('decodeNpy reads what np.save writes; bad input says what is wrong', () => {
  python(`import numpy as np; np.save('${dir}/np.npy', np.arange(12, dtype=np.float32).reshape(3, 4) / 4)`);
  const { data, shape } = decodeNpy(fs.readFileSync(path.join(dir, 'np.npy')));
  assert.deepEqual(shape, [3, 4]);
  assert.deepEqual(Array.from(data), Array.from({ length: 12 }, (_, i) => i / 4));
  assert.throws(() => decodeNpy(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])), /not an \.npy file/);
  assert.throws(() => encodeNpy(new Float32Array(5), [2, 3]), /holds 6 values but the array has 5/);
});
