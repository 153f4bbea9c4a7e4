// TF.js weight files on disk: model.json (a layers model, as tfjs-converter
// writes from Keras, or our checkpoints) or a bare weights manifest
// (weights_manifest.json: [{paths, weights}]), each with its binary shards.
// @tensorflow/tfjs has no file:// handler outside tfjs-node, so we read and
// write them with fs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';

export interface WeightsFile {
  /** The JSON file read. */
  file: string;
  /** The layers-model topology, when the file is a model.json. */
  modelJSON?: tf.io.ModelJSON;
  manifest: tf.io.WeightsManifestConfig;
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read weights file ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not JSON (expected a TF.js model.json or weights manifest): ${(err as Error).message}`);
  }
}

/** Parse a model.json or weights manifest (no shards read yet). */
export function readWeightsFile(file: string): WeightsFile {
  const json = readJson(file);
  if (Array.isArray(json)) return { file, manifest: json as tf.io.WeightsManifestConfig };
  const m = json as tf.io.ModelJSON;
  if (m && typeof m === 'object' && Array.isArray(m.weightsManifest)) return { file, modelJSON: m, manifest: m.weightsManifest };
  throw new Error(`${file} has no \`weightsManifest\`: expected a TF.js model.json (tfjs-converter or a cellab checkpoint) or a weights manifest [{paths, weights}]`);
}

/** Concatenated shard bytes and the weight specs, in manifest order. */
export function readShards(w: WeightsFile): { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer } {
  const dir = path.dirname(w.file);
  const buffers: Buffer[] = [];
  const specs: tf.io.WeightsManifestEntry[] = [];
  for (const group of w.manifest) {
    for (const p of group.paths) {
      const shard = path.resolve(dir, decodeURIComponent(p));
      try {
        buffers.push(fs.readFileSync(shard));
      } catch (err) {
        throw new Error(`${w.file} lists weight shard '${p}', which cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); copy the shards next to the JSON file`);
      }
    }
    specs.push(...group.weights);
  }
  const all = Buffer.concat(buffers);
  return { specs, data: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer };
}

/** Every weight of a file, by its stored name. The caller disposes the tensors. */
export function readNamedWeights(file: string): tf.NamedTensorMap {
  const w = readWeightsFile(file);
  const { specs, data } = readShards(w);
  try {
    return tf.io.decodeWeights(data, specs);
  } catch (err) {
    throw new Error(`cannot decode the weights of ${file}: ${(err as Error).message}`);
  }
}

/** An IOHandler that writes model.json + weights.bin into `dir`. */
export function fileSaveHandler(dir: string, metadata?: Record<string, unknown>): tf.io.IOHandler {
  return tf.io.withSaveHandler(async (artifacts) => {
    fs.mkdirSync(dir, { recursive: true });
    const data = artifacts.weightData
      ? (Array.isArray(artifacts.weightData) ? Buffer.concat(artifacts.weightData.map((b) => Buffer.from(b))) : Buffer.from(artifacts.weightData))
      : Buffer.alloc(0);
    const modelJSON: tf.io.ModelJSON = {
      format: artifacts.format ?? 'layers-model',
      generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
      convertedBy: null,
      modelTopology: artifacts.modelTopology as object,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      ...(metadata ? { userDefinedMetadata: metadata as Record<string, never> } : {}),
    };
    // Write the shard first: a reader that sees model.json finds its weights.
    fs.writeFileSync(path.join(dir, 'weights.bin'), data);
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(modelJSON));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: data.length } };
  });
}

/** An IOHandler that loads a layers model.json and its shards. */
export function fileLoadHandler(file: string): tf.io.IOHandler {
  return {
    load: async () => {
      const w = readWeightsFile(file);
      if (!w.modelJSON || !w.modelJSON.modelTopology) {
        throw new Error(`${file} holds weights only (no modelTopology): load it into a backbone with transferWeights/loadPretrained instead`);
      }
      const { specs, data } = readShards(w);
      return tf.io.getModelArtifactsForJSONSync(w.modelJSON, specs, data);
    },
  };
}
