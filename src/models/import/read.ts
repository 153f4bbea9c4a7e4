// A weight file of a published net, by its content: a PyTorch zip
// (.pth/.pt/.bin) or a .safetensors file.
import * as fs from 'node:fs';
import { isSafetensors, parseSafetensors } from './safetensors';
import { isZip, parseTorchZip } from './torch-file';
import type { StateDict } from './raw-tensor';

export interface SourceFile {
  file: string;
  format: 'pytorch' | 'safetensors';
  tensors: StateDict;
  /** Where the state dict sat in a PyTorch file (`state_dict`, `model`, or '' for the top level). */
  path: string;
}

/** True when the file's first bytes are a PyTorch zip or a safetensors header. */
export function isTorchWeightsFile(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(16);
    fs.readSync(fd, head, 0, 16, 0);
    if (isZip(head)) return true;
    const n = Number(head.readBigUInt64LE(0));
    return n > 1 && n < 100_000_000 && head[8] === 0x7b && fs.fstatSync(fd).size >= 8 + n;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export function readSourceFile(file: string): SourceFile {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read weights file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (isZip(bytes)) {
    const t = parseTorchZip(bytes, file);
    return { file, format: 'pytorch', tensors: t.tensors, path: t.path };
  }
  if (isSafetensors(bytes)) return { file, format: 'safetensors', tensors: parseSafetensors(bytes, file), path: '' };
  throw new Error(`${file} is neither a PyTorch zip (.pth/.pt) nor a .safetensors file (first bytes: ${bytes.subarray(0, 8).toString('hex')})`);
}
