// A tensor read from a weight file, before it becomes a tf tensor: a shape and
// its values as float32 (f16, bf16, f64 and integer storages are converted on
// read, so every mapping downstream sees one type). `dtype` keeps what the file
// stored, for the load report.
export interface RawTensor {
  shape: number[];
  data: Float32Array;
  dtype: string;
}

export type StateDict = Map<string, RawTensor>;

export function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** IEEE half -> float (subnormals, inf and NaN included). */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

export type StorageDtype = 'float32' | 'float16' | 'bfloat16' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export const DTYPE_BYTES: Record<StorageDtype, number> = {
  float32: 4, float16: 2, bfloat16: 2, float64: 8, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1,
};

/** `count` little-endian values of `dtype` starting at `offset` bytes into `bytes`, as float32. */
export function decodeValues(bytes: Uint8Array, offset: number, count: number, dtype: StorageDtype): Float32Array {
  const size = DTYPE_BYTES[dtype];
  if (offset < 0 || offset + count * size > bytes.byteLength) {
    throw new Error(`${count} ${dtype} values at byte ${offset} run past the end of the data (${bytes.byteLength} bytes)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * size);
  const out = new Float32Array(count);
  switch (dtype) {
    case 'float32':
      if ((bytes.byteOffset + offset) % 4 === 0) out.set(new Float32Array(bytes.buffer, bytes.byteOffset + offset, count));
      else for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
      break;
    case 'float16': for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(2 * i, true)); break;
    case 'bfloat16': {
      const u = new Uint32Array(1), f = new Float32Array(u.buffer);
      for (let i = 0; i < count; i++) { u[0] = view.getUint16(2 * i, true) << 16; out[i] = f[0]; }
      break;
    }
    case 'float64': for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true); break;
    case 'int64': for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(8 * i, true)); break;
    case 'int32': for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, true); break;
    case 'int16': for (let i = 0; i < count; i++) out[i] = view.getInt16(2 * i, true); break;
    case 'int8': for (let i = 0; i < count; i++) out[i] = view.getInt8(i); break;
    case 'uint8': case 'bool': for (let i = 0; i < count; i++) out[i] = view.getUint8(i); break;
  }
  return out;
}
