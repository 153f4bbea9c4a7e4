// Weight files read safely: .safetensors (f32/f16/bf16) and PyTorch zip
// state dicts written by torch.save, compared value for value with what
// PyTorch wrote; a pickle naming any global outside the state-dict whitelist
// is refused with an error naming it, and nothing runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { zipSync } from 'fflate';
import { readSourceFile } from '../../../src/models/import/read';
import { parseTorchZip } from '../../../src/models/import/torch-file';
import { torchPython, runPython, NO_TORCH } from '../torch-python';

let tmp: string;
before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-readers-')); });
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const WRITE = String.raw`
import sys, json, struct, collections, torch
out = sys.argv[1]
g = torch.Generator().manual_seed(0)
base = torch.randn(4, 6, generator=g)
sd = collections.OrderedDict()
sd['conv.weight'] = torch.randn(3, 2, 3, 3, generator=g)
sd['fc.weight'] = base.t()                      # a non-contiguous view (stride (1, 6))
sd['half'] = torch.randn(5, generator=g).half()
sd['bf16'] = torch.randn(7, generator=g).bfloat16()
sd['offset'] = base.view(-1)[5:11]              # a view with a storage offset
sd['bn.num_batches_tracked'] = torch.tensor(123)
torch.save(sd, out + '/sd.pth')
torch.save({'epoch': 3, 'state_dict': sd}, out + '/ckpt.pth')
# safetensors by hand: 8-byte little-endian header length, JSON header, raw bytes
codes = {torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16', torch.int64: 'I64'}
header, blobs, off = {}, [], 0
for k, v in sd.items():
    v = v.contiguous()
    b = v.view(torch.int16).numpy().tobytes() if v.dtype == torch.bfloat16 else v.numpy().tobytes()
    header[k] = {'dtype': codes[v.dtype], 'shape': list(v.shape), 'data_offsets': [off, off + len(b)]}
    blobs.append(b); off += len(b)
h = json.dumps(header).encode()
with open(out + '/sd.safetensors', 'wb') as f:
    f.write(struct.pack('<Q', len(h))); f.write(h); f.write(b''.join(blobs))
json.dump({k: {'shape': list(v.shape), 'values': v.float().contiguous().view(-1).tolist()} for k, v in sd.items()}, open(out + '/expected.json', 'w'))
`;

test('a torch.save state dict and a safetensors file read back to PyTorch\'s values (strided views, f16, bf16, int64)', (t) => {
  if (!torchPython()) { t.skip(NO_TORCH); return; }
  runPython(WRITE, [tmp]);
  const expected = JSON.parse(fs.readFileSync(path.join(tmp, 'expected.json'), 'utf8')) as Record<string, { shape: number[]; values: number[] }>;
  for (const file of ['sd.pth', 'sd.safetensors', 'ckpt.pth']) {
    const src = readSourceFile(path.join(tmp, file));
    assert.equal(src.format, file.endsWith('.pth') ? 'pytorch' : 'safetensors');
    if (file === 'ckpt.pth') assert.equal(src.path, 'state_dict');
    assert.deepEqual([...src.tensors.keys()].sort(), Object.keys(expected).sort(), file);
    for (const [k, e] of Object.entries(expected)) {
      const got = src.tensors.get(k)!;
      assert.deepEqual(got.shape, e.shape, `${file} ${k} shape`);
      assert.deepEqual(Array.from(got.data), e.values.map(Math.fround), `${file} ${k} values`);
    }
  }
});

/** A zip laid out as torch.save does, with `pkl` as data.pkl. */
function torchZip(pkl: Buffer): Buffer {
  return Buffer.from(zipSync({ 'evil/data.pkl': new Uint8Array(pkl), 'evil/version': new TextEncoder().encode('3\n') }, { level: 0 }));
}

for (const [module, name] of [['posix', 'system'], ['os', 'system'], ['builtins', 'eval'], ['torch.nn.modules.conv', 'Conv2d']]) {
  test(`a .pth whose pickle references ${module}.${name} is refused, naming it, and nothing runs`, () => {
    const marker = path.join(tmp, `ran-${name}`);
    // protocol 2: GLOBAL module\nname\n, a string argument, TUPLE1, REDUCE, STOP
    const arg = Buffer.from(`touch ${marker}`);
    const len = Buffer.alloc(4); len.writeUInt32LE(arg.length);
    const pkl = Buffer.concat([Buffer.from([0x80, 0x02]), Buffer.from(`c${module}\n${name}\n`), Buffer.from('X'), len, arg, Buffer.from([0x85, 0x52, 0x2e])]);
    const file = path.join(tmp, `evil-${name}.pth`);
    fs.writeFileSync(file, torchZip(pkl));
    assert.throws(() => readSourceFile(file), new RegExp(`refused: the pickle references the global \`${module.replace(/\./g, '\\.')}\\.${name}\``));
    assert.equal(fs.existsSync(marker), false);
  });
}

test('a pickle that builds an object (NEWOBJ) is refused by opcode; a truncated one is an error', () => {
  const bad = Buffer.from([0x80, 0x02, 0x7d, 0x81, 0x2e]);
  assert.throws(() => parseTorchZip(torchZip(bad), 'x.pth'), /pickle opcode 0x81/);
  assert.throws(() => parseTorchZip(torchZip(Buffer.from([0x80, 0x02, 0x58, 0xff])), 'y.pth'), /truncated pickle/);
});

test('files that are neither PyTorch zips nor safetensors are named with what to do', () => {
  const legacy = path.join(tmp, 'legacy.pth');
  fs.writeFileSync(legacy, Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8]));
  assert.throws(() => readSourceFile(legacy), /neither a PyTorch zip/);
  assert.throws(() => parseTorchZip(fs.readFileSync(legacy), legacy), /saved before PyTorch 1\.6/);
});
