// Embeddings from a named layer of a (frozen) backbone, cached on disk so a
// C sweep or a second classifier does not run the network again. A spatial
// layer [B, H, W, C] is average-pooled, a token layer [B, N, D] mean-pooled.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import type { BatchSource } from '../data/batches';
import { didYouMean } from '../engine/schema';
import { ReadQueue, type Read } from '../engine/reads';
import { inferenceFunction } from '../models/inference';

export interface FeatureSet {
  /** Row-major [n, dim]. */
  features: Float32Array;
  n: number;
  dim: number;
  ids: string[];
  labels: Int32Array;
}

/** A model from the backbone's input to `layer`'s output (pooled to [B, D]). */
export function embeddingModel(model: tf.LayersModel, layer: string): tf.LayersModel {
  let l: tf.layers.Layer;
  try {
    l = model.getLayer(layer);
  } catch {
    const names = model.layers.map((x) => x.name);
    throw new Error(`model.featureLayer: ${model.name} has no layer \`${layer}\`.${didYouMean(layer, names)} Layers: ${names.join(', ')}`);
  }
  let out = l.output as tf.SymbolicTensor;
  if (out.rank === 4) out = tf.layers.globalAveragePooling2d({ name: `${layer}_embedding_pool` }).apply(out) as tf.SymbolicTensor;
  else if (out.rank === 3) out = tf.layers.globalAveragePooling1d({ name: `${layer}_embedding_pool` }).apply(out) as tf.SymbolicTensor;
  else if (out.rank !== 2) throw new Error(`model.featureLayer \`${layer}\` outputs rank ${out.rank}; expected [B, D], [B, N, D] or [B, H, W, C]`);
  return tf.model({ inputs: model.inputs, outputs: out });
}

// Features are read one batch behind the device (engine/reads.ts); batch norms folded (models/inference.ts).
export async function extractFeatures(model: tf.LayersModel, source: BatchSource, o: { layer: string; batchSize?: number; onProgress?: (done: number, total: number) => void }): Promise<FeatureSet> {
  const emb = embeddingModel(model, o.layer);
  const forward = inferenceFunction(emb);
  const dim = emb.outputs[0].shape[1] as number;
  const features = new Float32Array(source.size * dim);
  const ids: string[] = [], labels = new Int32Array(source.size);
  const reads = new ReadQueue<{ row: number; n: number }>(1);
  const put = (done: Read<{ row: number; n: number }>[]) => {
    for (const { values, meta } of done) {
      features.set(values, meta.row * dim);
      o.onProgress?.(meta.row + meta.n, source.size);
    }
  };
  try {
    let row = 0;
    for (const b of source.batches({ batchSize: o.batchSize ?? 64 })) {
      const f = forward.predict(b.x);
      b.labels.forEach((l, i) => { labels[row + i] = l; });
      ids.push(...b.ids);
      tf.dispose([b.x, b.y]);
      put(await reads.push(f, { row, n: b.labels.length }));
      row += b.labels.length;
    }
    put(await reads.drain());
  } finally {
    reads.dispose();
    forward.dispose();
  }
  return { features, n: source.size, dim, ids, labels };
}

/** Changes with the weights, the architecture, the layer, the inputs (dataKey) and the items. */
export async function featureCacheKey(model: tf.LayersModel, layer: string, dataKey: string, ids: string[]): Promise<string> {
  const h = createHash('sha256');
  h.update(JSON.stringify(model.toJSON(null, false)));
  for (const w of model.weights) {
    h.update(w.originalName);
    const v = await w.read().data() as Float32Array;
    h.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }
  h.update(`\0${layer}\0${dataKey}\0${ids.join('\n')}`);
  return h.digest('hex').slice(0, 24);
}

export interface CachedFeatures extends FeatureSet {
  fromCache: boolean;
  file: string;
}

/**
 * Features of `source`, read from `cacheDir` when the same model, layer and
 * inputs were embedded before, else extracted and written there.
 */
export async function cachedFeatures(model: tf.LayersModel, source: BatchSource, o: { layer: string; cacheDir: string; dataKey: string; batchSize?: number; onProgress?: (done: number, total: number) => void }): Promise<CachedFeatures> {
  const key = await featureCacheKey(model, o.layer, o.dataKey, source.ids);
  const file = path.join(o.cacheDir, `${key}.f32`), meta = path.join(o.cacheDir, `${key}.json`);
  if (fs.existsSync(file) && fs.existsSync(meta)) {
    const m = JSON.parse(fs.readFileSync(meta, 'utf8')) as { n: number; dim: number; ids: string[]; labels: number[] };
    const buf = fs.readFileSync(file);
    if (buf.byteLength === m.n * m.dim * 4) {
      const features = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      return { features, n: m.n, dim: m.dim, ids: m.ids, labels: Int32Array.from(m.labels), fromCache: true, file };
    }
  }
  const f = await extractFeatures(model, source, o);
  fs.mkdirSync(o.cacheDir, { recursive: true });
  // Data first, then the metadata that makes the entry visible.
  fs.writeFileSync(file, Buffer.from(f.features.buffer, f.features.byteOffset, f.features.byteLength));
  fs.writeFileSync(meta, JSON.stringify({ n: f.n, dim: f.dim, layer: o.layer, ids: f.ids, labels: Array.from(f.labels) }));
  return { ...f, fromCache: false, file };
}
