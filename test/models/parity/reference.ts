// Runs reference.py (Debian's PyTorch) into a folder: model.pth,
// model.safetensors, input.npy, logits.json. Shared by the tests that need a
// published net's weights file without the internet.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { runPython } from '../torch-python';
import { readNpy } from '../../../src/models/import/npy';

export interface Reference { dir: string; pth: string; safetensors: string; input: string; logits: number[][]; params: number; f32Error: number }

export function makeReference(arch: string, size: number, dir: string, batch = 2): Reference {
  fs.mkdirSync(dir, { recursive: true });
  for (const f of ['reference.py', 'timm_ref.py']) {
    if (fs.existsSync(path.join(__dirname, f))) fs.copyFileSync(path.join(__dirname, f), path.join(dir, f));
  }
  runPython(`import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')`,
    [path.join(dir, 'reference.py'), arch, String(size), dir, String(batch)]);
  const { logits, params, f32_error: f32Error } = JSON.parse(fs.readFileSync(path.join(dir, 'logits.json'), 'utf8')) as { logits: number[][]; params: number; f32_error: number };
  return { dir, pth: path.join(dir, 'model.pth'), safetensors: path.join(dir, 'model.safetensors'), input: path.join(dir, 'input.npy'), logits, params, f32Error };
}

/** input.npy (NCHW, as PyTorch got it) as an NHWC tensor. */
export function referenceInput(r: Reference): tf.Tensor4D {
  const t = readNpy(r.input);
  return tf.tidy(() => tf.transpose(tf.tensor4d(t.data, t.shape as [number, number, number, number]), [0, 2, 3, 1]));
}

export function maxAbsDiff(a: number[][], b: number[][]): number {
  return Math.max(...a.flat().map((v, i) => Math.abs(v - b.flat()[i])));
}
