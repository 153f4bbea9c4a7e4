// NumPy's .npy format (version 1.0): a magic string, a Python-dict header
// padded with spaces to a multiple of 64 bytes and ended by '\n', then the
// array in C order. What researchers load embeddings with: np.load(path).
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

type NpyArray = Float32Array | Float64Array | Int32Array;
const DESCR: Record<string, string> = { Float32Array: '<f4', Float64Array: '<f8', Int32Array: '<i4' };

/** Little-endian bytes of `data` with `shape` (C order) as an .npy file. */
export function encodeNpy(data: NpyArray, shape: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new RangeError(`shape [${shape.join(', ')}] holds ${count} values but the array has ${data.length}.`);
  const descr = DESCR[data.constructor.name];
  if (!descr) throw new TypeError(`cannot write ${data.constructor.name} as .npy: use Float32Array, Float64Array or Int32Array.`);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // 10 bytes of preamble + header + '\n' must be a multiple of 64.
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  if (header.length > 0xffff) throw new RangeError('.npy header too long for format 1.0');
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1; out[7] = 0;
  out[8] = header.length & 0xff; out[9] = header.length >> 8;
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  // Typed arrays are little-endian on every platform Node runs on (x64, arm64).
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

/** Read an .npy file written by encodeNpy or NumPy (<f4, <f8, <i4, C order). */
export function decodeNpy(bytes: Uint8Array): { data: NpyArray; shape: number[] } {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error('not an .npy file (no \\x93NUMPY magic)');
  const major = bytes[6];
  const headerLen = major === 1 ? bytes[8] | (bytes[9] << 8) : bytes[8] | (bytes[9] << 8) | (bytes[10] << 16) | (bytes[11] << 24);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder('latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error('.npy in Fortran order is not supported: save with np.ascontiguousarray');
  const shape = (/'shape':\s*\(([^)]*)\)/.exec(header)?.[1] ?? '').split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const body = bytes.slice(start + headerLen);
  const buf = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength);
  const data = descr === '<f4' ? new Float32Array(buf) : descr === '<f8' ? new Float64Array(buf) : descr === '<i4' ? new Int32Array(buf) : undefined;
  if (!data) throw new Error(`.npy dtype ${descr} is not supported (use float32, float64 or int32)`);
  return { data, shape };
}
