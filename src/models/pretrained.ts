// `model.pretrained`: where pretrained weights come from, offline. Accepts a
// checkpoint folder (model.json + weights.bin), a TF.js model.json (e.g.
// tfjs-converter output from Keras), a weights manifest, or an earlier run:
// its folder in a local MLflow store (`<store>/<exp>/<run>`) or that run's
// `artifacts` folder, whose `checkpoint/` the trial logged.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readNamedWeights } from './weights-file';
import { transferWeights, type TransferOptions, type TransferReport } from './transfer';

const CANDIDATES = ['model.json', 'weights_manifest.json', 'checkpoint/model.json', 'artifacts/checkpoint/model.json'];

/** The JSON file holding the weights' manifest for a `model.pretrained` value. */
export function resolvePretrainedFile(p: string): string {
  if (!fs.existsSync(p)) throw new Error(`model.pretrained: ${p} does not exist (give a checkpoint folder, a model.json, or a run's folder / artifacts folder in a local MLflow store)`);
  if (fs.statSync(p).isFile()) return p;
  for (const c of CANDIDATES) {
    const f = path.join(p, c);
    if (fs.existsSync(f)) return f;
  }
  const looked = CANDIDATES.map((c) => path.join(p, c)).join(', ');
  const hint = fs.existsSync(path.join(p, 'meta.yaml'))
    ? ' This looks like an MLflow run folder without a logged checkpoint (train.checkpoint was off, or the run diverged).'
    : '';
  throw new Error(`model.pretrained: no weights found in folder ${p} (looked for ${looked}).${hint}`);
}

export interface PretrainedResult extends TransferReport {
  file: string;
}

/**
 * Load weights from `p` into `model` by name and shape. The classifier
 * (`logits`) is only taken when its shape matches.
 */
export function loadPretrained(model: tf.LayersModel, p: string, o: TransferOptions = {}): PretrainedResult {
  const file = resolvePretrainedFile(p);
  const source = readNamedWeights(file);
  try {
    return { file, ...transferWeights(model, source, o) };
  } finally {
    tf.dispose(Object.values(source));
  }
}
