// numpy's .npy (np.save): magic, a Python-literal header {'descr', 'fortran_order',
// 'shape'}, then raw values. Little-endian float32/float16/float64, C order.
import * as fs from 'node:fs';
import { decodeValues, numel, type RawTensor, type StorageDtype } from './raw-tensor';

const DESCR: Record<string, StorageDtype> = { '<f4': 'float32', '<f2': 'float16', '<f8': 'float64', '<i8': 'int64', '<i4': 'int32', '|u1': 'uint8' };

export function parseNpy(bytes: Uint8Array, file: string): RawTensor {
  const magic = Buffer.from(bytes.subarray(0, 6)).toString('latin1');
  if (magic !== '\x93NUMPY') throw new Error(`${file} is not a .npy file (save the array with numpy.save)`);
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = Buffer.from(bytes.subarray(start, start + headerLen)).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw new Error(`${file}: unreadable .npy header ${header.trim()}`);
  const dtype = DESCR[descr];
  if (!dtype) throw new Error(`${file}: dtype ${descr} is not supported; save float32 (x.astype(numpy.float32))`);
  if (fortran) throw new Error(`${file} is in Fortran order; save numpy.ascontiguousarray(x)`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  return { shape, data: decodeValues(bytes, start + headerLen, numel(shape), dtype), dtype };
}

export function readNpy(file: string): RawTensor {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseNpy(bytes, file);
}
