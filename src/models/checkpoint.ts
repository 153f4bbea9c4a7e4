// Checkpoints: a whole model (topology + weights) as a TF.js layers
// model.json + weights.bin in a folder, loadable by tf.loadLayersModel and by
// `model.pretrained`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fileLoadHandler, fileSaveHandler } from './weights-file';
import './layers/index';   // custom layers must be registered before a checkpoint can be loaded

export interface CheckpointMeta {
  backbone?: string;
  classes?: string[];
  epoch?: number;
  [key: string]: unknown;
}

export async function saveCheckpoint(model: tf.LayersModel, dir: string, meta: CheckpointMeta = {}): Promise<string> {
  try {
    await model.save(fileSaveHandler(dir, { cellab: meta }));
  } catch (err) {
    throw new Error(`cannot save checkpoint to ${dir}: ${(err as Error).message}`);
  }
  return path.join(dir, 'model.json');
}

/** `dir/model.json` or the model.json file itself. */
export function checkpointFile(p: string): string {
  return fs.existsSync(p) && fs.statSync(p).isDirectory() ? path.join(p, 'model.json') : p;
}

export async function loadCheckpoint(p: string): Promise<{ model: tf.LayersModel; meta: CheckpointMeta }> {
  const file = checkpointFile(p);
  if (!fs.existsSync(file)) throw new Error(`no checkpoint at ${p}: expected a folder with model.json + weights.bin (saveCheckpoint) or a model.json file`);
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(fileLoadHandler(file));
  } catch (err) {
    throw new Error(`cannot load checkpoint ${file}: ${(err as Error).message}`);
  }
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { userDefinedMetadata?: { cellab?: CheckpointMeta } };
  return { model, meta: json.userDefinedMetadata?.cellab ?? {} };
}
