// Grad-CAM (Selvaraju et al. 2017): where in the image a CNN found evidence for a
// class. The gradients of the class score (the logit, before softmax) with respect
// to the last convolutional block's output are averaged per channel; those weights
// sum the block's channels; ReLU keeps what raises the score; the map is upsampled
// bilinearly to the input size.
//
// The block is found by the backbones' naming convention: every backbone ends with
// global pooling (the `features` layer, or a `head_pool` before it), then at most
// norm / dropout and `logits`. Walking back from the output through single-input
// layers, the first 4-D output is the last convolutional block. A transformer's
// tokens (ViT) have none, and the error says so.
import * as tf from '@tensorflow/tfjs';

export interface CamTarget {
  /** The layer whose output is the feature map. */
  layer: tf.layers.Layer;
  /** The layers from that map to the logits, in order (pooling, norm, dropout, logits). */
  head: tf.layers.Layer[];
}

function singleInbound(layer: tf.layers.Layer): tf.layers.Layer | undefined {
  const nodes = layer.inboundNodes;
  if (nodes.length !== 1 || nodes[0].inboundLayers.length !== 1) return undefined;
  return nodes[0].inboundLayers[0];
}

const rank = (l: tf.layers.Layer) => (l.output as tf.SymbolicTensor).shape.length;

/** The last convolutional block of `model` (or the named layer) and the head after it. */
export function camTarget(model: tf.LayersModel, layerName?: string): CamTarget {
  if (model.outputs.length !== 1) throw new Error(`Grad-CAM needs a model with one output; ${model.name} has ${model.outputs.length}`);
  const head: tf.layers.Layer[] = [];
  let layer: tf.layers.Layer | undefined = model.outputLayers[0];
  while (layer) {
    if (layerName ? layer.name === layerName : head.length > 0 && rank(layer) === 4) {
      if (rank(layer) !== 4) throw new Error(`Grad-CAM: layer '${layer.name}' outputs ${rank(layer)}-D tensors; it needs a 4-D feature map [batch, height, width, channels]`);
      return { layer, head: head.reverse() };
    }
    head.push(layer);
    const prev = singleInbound(layer);
    if (!prev) {
      const path = head.map((l) => l.name).reverse().join(' -> ');
      throw new Error(`Grad-CAM: no convolutional feature map before the logits of ${model.name} (${path} has ${layer.inboundNodes[0]?.inboundLayers.length ?? 0} inputs at '${layer.name}'). ` +
        (layerName ? `Layer '${layerName}' is not on the single path to the logits.` : 'Grad-CAM applies to CNN backbones (resnet, convnext, mobilenetv2, small-cnn, ...), not to a ViT\'s tokens.'));
    }
    layer = prev;
  }
  throw new Error(`Grad-CAM: layer '${layerName}' is not on the path to the logits of ${model.name}`);
}

export interface GradCamResult {
  /** One map per image, height x width of the input, scaled to 0..1 by its maximum (all 0 when no evidence). */
  maps: Float32Array[];
  /** Each image's largest value before scaling (0: the class score had no positive evidence). */
  peaks: number[];
  height: number;
  width: number;
  /** The feature map used and its size. */
  layer: string;
  featureSize: [number, number];
}

/**
 * Grad-CAM of `classIndex` (one per image, or one for all) for a batch `x` [n, h, w, c]
 * prepared as the model was trained (normalised). Inference mode: batch norm uses its
 * moving statistics and dropout is off.
 */
// Read asynchronously (engine/reads.ts): maps of a model on the webgpu backend too.
export async function gradCam(model: tf.LayersModel, x: tf.Tensor4D, classIndex: number | number[], o: { layer?: string } = {}): Promise<GradCamResult> {
  const target = camTarget(model, o.layer);
  const [n, height, width] = x.shape;
  const classes = Array.isArray(classIndex) ? classIndex : new Array(n).fill(classIndex);
  if (classes.length !== n) throw new RangeError(`Grad-CAM: ${classes.length} class indices for ${n} images`);
  const k = (model.outputs[0].shape[1] as number);
  const bad = classes.find((c) => !(Number.isInteger(c) && c >= 0 && c < k));
  if (bad !== undefined) throw new RangeError(`Grad-CAM: class index ${bad} is out of range (the model has ${k} outputs)`);
  const features = tf.model({ inputs: model.inputs, outputs: target.layer.output as tf.SymbolicTensor });
  const [fh, fw] = (target.layer.output as tf.SymbolicTensor).shape.slice(1, 3) as number[];
  const result = tf.tidy(() => {
    const a = features.predict(x) as tf.Tensor4D;
    const mask = tf.oneHot(tf.tensor1d(classes, 'int32'), k);
    const score = (m: tf.Tensor) => {
      let t: tf.Tensor = m;
      for (const l of target.head) t = l.apply(t, { training: false }) as tf.Tensor;
      return tf.sum(tf.mul(t, mask));
    };
    const grads = tf.grad(score)(a) as tf.Tensor4D;
    const weights = tf.mean(grads, [1, 2], true);                       // [n, 1, 1, C]
    const cam = tf.relu(tf.sum(tf.mul(a, weights), -1, true));          // [n, fh, fw, 1]
    const up = tf.image.resizeBilinear(cam as tf.Tensor4D, [height, width], false);
    const peaks = tf.max(up, [1, 2, 3]);
    return { up: up.reshape([n, height * width]), peaks };
  });
  let all: Float32Array, peaks: number[];
  try {
    all = await result.up.data() as Float32Array;
    peaks = Array.from(await result.peaks.data());
  } finally {
    tf.dispose([result.up, result.peaks]);
  }
  const maps = peaks.map((p, i) => {
    const m = all.slice(i * height * width, (i + 1) * height * width);
    if (p > 0) for (let j = 0; j < m.length; j++) m[j] /= p;
    return m;
  });
  return { maps, peaks, height, width, layer: target.layer.name, featureSize: [fh, fw] };
}
