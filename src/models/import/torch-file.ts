// PyTorch's `torch.save` files (.pth/.pt/.bin since PyTorch 1.6): a zip holding
// `<name>/data.pkl` (the pickled object) and `<name>/data/<key>` (one raw
// little-endian storage per key). The pickle is read by the restricted
// unpickler (pickle.ts) with only the globals a state dict needs; tensors are
// rebuilt from (storage, offset, size, stride) without running anything.
import * as fs from 'node:fs';
import { unzipSync } from 'fflate';
import { Global, PyTuple, unpickle, type Reducer } from './pickle';
import { decodeValues, numel, type RawTensor, type StateDict, type StorageDtype } from './raw-tensor';

const STORAGES: Record<string, StorageDtype> = {
  FloatStorage: 'float32', HalfStorage: 'float16', BFloat16Storage: 'bfloat16', DoubleStorage: 'float64',
  LongStorage: 'int64', IntStorage: 'int32', ShortStorage: 'int16', CharStorage: 'int8', ByteStorage: 'uint8', BoolStorage: 'bool',
};

interface Storage { dtype: StorageDtype; key: string; bytes: Uint8Array }

export function isZip(bytes: Uint8Array): boolean {
  return bytes.byteLength > 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

function ints(v: unknown, what: string): number[] {
  if (!(v instanceof PyTuple) || !v.items.every((x) => typeof x === 'number')) throw new Error(`${what} is not a tuple of ints`);
  return v.items as number[];
}

/** Contiguous float32 values of a (possibly strided) view of a storage. */
function rebuildTensor(storage: unknown, offset: unknown, size: unknown, stride: unknown): RawTensor {
  const s = storage as Storage;
  if (!s || typeof s.key !== 'string') throw new Error('the first argument is not a storage');
  const shape = ints(size, 'size'), strides = ints(stride, 'stride');
  const off = Number(offset);
  const n = numel(shape);
  const itemBytes = s.bytes.byteLength / Math.max(1, storageLength(s));
  const contiguous = shape.every((_, i) => strides[i] === numel(shape.slice(i + 1)) || shape[i] === 1);
  if (contiguous) return { shape, data: decodeValues(s.bytes, off * itemBytes, n, s.dtype), dtype: s.dtype };
  const all = decodeValues(s.bytes, 0, storageLength(s), s.dtype);
  const out = new Float32Array(n);
  const idx = new Array(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let src = off;
    for (let d = 0; d < shape.length; d++) src += idx[d] * strides[d];
    out[i] = all[src];
    for (let d = shape.length - 1; d >= 0; d--) { if (++idx[d] < shape[d]) break; idx[d] = 0; }
  }
  return { shape, data: out, dtype: s.dtype };
}

function storageLength(s: Storage): number {
  const b = { float32: 4, float16: 2, bfloat16: 2, float64: 8, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1 }[s.dtype];
  return s.bytes.byteLength / b;
}

function isTensor(v: unknown): v is RawTensor {
  return !!v && typeof v === 'object' && (v as RawTensor).data instanceof Float32Array && Array.isArray((v as RawTensor).shape);
}

/** The globals a state dict pickle may reference: nothing else loads. */
function whitelist(): Record<string, Reducer> {
  const allow: Record<string, Reducer> = {
    'collections.OrderedDict': (pairs?: unknown) => {
      const m = new Map<unknown, unknown>();
      if (Array.isArray(pairs)) for (const p of pairs) if (p instanceof PyTuple) m.set(p.items[0], p.items[1]);
      return m;
    },
    'torch._utils._rebuild_tensor_v2': (storage, offset, size, stride) => rebuildTensor(storage, offset, size, stride),
    'torch._utils._rebuild_tensor': (storage, offset, size, stride) => rebuildTensor(storage, offset, size, stride),
    'torch._utils._rebuild_parameter': (data) => data,
    'torch._utils._rebuild_parameter_with_state': (data) => data,
  };
  const notCallable = () => { throw new Error('a storage class is referenced, not called, in a state dict'); };
  for (const name of Object.keys(STORAGES)) allow[`torch.${name}`] = notCallable;
  allow['torch.storage.UntypedStorage'] = notCallable;
  allow['torch.UntypedStorage'] = notCallable;
  return allow;
}

export interface TorchFile {
  tensors: StateDict;
  /** Where in the pickled object the state dict was (`state_dict`, `model`, or '' for the top level). */
  path: string;
}

/** Reads a torch.save zip; the state dict may be the top level or under `state_dict` / `model` / `state_dict_ema`. */
export function parseTorchZip(bytes: Uint8Array, file: string): TorchFile {
  if (!isZip(bytes)) {
    throw new Error(`${file} is not a zip-format PyTorch file: files saved before PyTorch 1.6 (or with _use_new_zipfile_serialization=False) are not read; re-save with torch.save(state_dict, path) in PyTorch >= 1.6, or convert to .safetensors`);
  }
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (err) {
    throw new Error(`${file}: cannot read the zip (${(err as Error).message}); the download may be incomplete`);
  }
  const pkl = Object.keys(entries).find((n) => /(^|\/)data\.pkl$/.test(n));
  if (!pkl) throw new Error(`${file}: a zip without data.pkl is not a PyTorch file (entries: ${Object.keys(entries).slice(0, 5).join(', ')})`);
  const prefix = pkl.slice(0, -'data.pkl'.length);
  const storages = new Map<string, Storage>();
  const persistentLoad = (pid: unknown): Storage => {
    if (!(pid instanceof PyTuple) || pid.items[0] !== 'storage') throw new Error(`${file}: unexpected persistent id in data.pkl`);
    const [, type, key] = pid.items as [string, unknown, string];
    const cls = type instanceof Global ? type.qualified.replace(/^torch\.(storage\.)?/, '') : '';
    const dtype = STORAGES[cls] ?? (cls === 'UntypedStorage' ? 'uint8' : undefined);
    if (!dtype) throw new Error(`${file}: storage type ${type instanceof Global ? type.qualified : String(type)} is not supported`);
    const cached = storages.get(key);
    if (cached) return cached;
    const data = entries[`${prefix}data/${key}`];
    if (!data) throw new Error(`${file}: storage ${key} is missing from the zip (${prefix}data/${key})`);
    const s = { dtype, key, bytes: data };
    storages.set(key, s);
    return s;
  };
  const root = unpickle(entries[pkl], { allow: whitelist(), persistentLoad, source: `${file} (${pkl})` });
  return findStateDict(root, file);
}

function findStateDict(root: unknown, file: string): TorchFile {
  const tensorsOf = (m: Map<unknown, unknown>) => [...m.entries()].filter(([k, v]) => typeof k === 'string' && isTensor(v));
  if (root instanceof Map) {
    if (tensorsOf(root).length) return { tensors: toStateDict(root), path: '' };
    for (const key of ['state_dict', 'model', 'state_dict_ema', 'model_ema', 'module']) {
      const v = root.get(key);
      if (v instanceof Map && tensorsOf(v).length) return { tensors: toStateDict(v), path: key };
    }
    throw new Error(`${file} holds a dict without tensors at its top level or under state_dict/model (keys: ${[...root.keys()].slice(0, 8).join(', ')})`);
  }
  throw new Error(`${file} does not hold a state dict (a dict of tensors); save one with torch.save(model.state_dict(), path)`);
}

function toStateDict(m: Map<unknown, unknown>): StateDict {
  const out: StateDict = new Map();
  for (const [k, v] of m) {
    if (typeof k !== 'string' || !isTensor(v)) continue;
    // nn.DataParallel / DistributedDataParallel save keys under `module.`.
    out.set(k.startsWith('module.') ? k.slice(7) : k, v);
  }
  return out;
}

export function readTorchFile(file: string): TorchFile {
  return parseTorchZip(fs.readFileSync(file), file);
}
