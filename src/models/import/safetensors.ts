// .safetensors: an 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?}, then the
// raw little-endian tensor bytes. Nothing in the format can run code.
import * as fs from 'node:fs';
import { decodeValues, numel, DTYPE_BYTES, type StateDict, type StorageDtype } from './raw-tensor';

const DTYPES: Record<string, StorageDtype> = {
  F32: 'float32', F16: 'float16', BF16: 'bfloat16', F64: 'float64', I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8', U8: 'uint8', BOOL: 'bool',
};

interface Entry { dtype: string; shape: number[]; data_offsets: [number, number] }

export function isSafetensors(bytes: Uint8Array): boolean {
  if (bytes.byteLength < 10) return false;
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  return n > 1 && 8 + n <= bytes.byteLength && bytes[8] === 0x7b; // '{'
}

export function parseSafetensors(bytes: Uint8Array, file: string): StateDict {
  if (!isSafetensors(bytes)) throw new Error(`${file} is not a safetensors file (no 8-byte header length followed by a JSON header)`);
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  let header: Record<string, Entry | Record<string, string>>;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, n).toString('utf8'));
  } catch (err) {
    throw new Error(`${file}: the safetensors header is not JSON (${(err as Error).message})`);
  }
  const data = bytes.subarray(8 + n);
  const out: StateDict = new Map();
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const entry = e as Entry;
    const dtype = DTYPES[entry.dtype];
    if (!dtype) throw new Error(`${file}: tensor '${name}' has dtype ${entry.dtype}; supported: ${Object.keys(DTYPES).join(', ')}`);
    const [begin, end] = entry.data_offsets;
    const count = numel(entry.shape);
    if (end - begin !== count * DTYPE_BYTES[dtype]) {
      throw new Error(`${file}: tensor '${name}' of shape [${entry.shape}] ${entry.dtype} spans ${end - begin} bytes, expected ${count * DTYPE_BYTES[dtype]}`);
    }
    try {
      out.set(name, { shape: [...entry.shape], data: decodeValues(data, begin, count, dtype), dtype });
    } catch (err) {
      throw new Error(`${file}: tensor '${name}': ${(err as Error).message}`);
    }
  }
  return out;
}

export function readSafetensors(file: string): StateDict {
  return parseSafetensors(fs.readFileSync(file), file);
}
