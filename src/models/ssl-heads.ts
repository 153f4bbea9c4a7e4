// The MLP heads of self-supervised learning, on a backbone's pooled
// embedding [B, D]: BYOL's projector and predictor are Linear-BN-ReLU-Linear
// (Grill et al. 2020, section 3.3). SimSiam's projector has three linear
// layers with a batch norm after each, the last without scale and offset,
// and its predictor is a bottleneck (Chen & He 2021, section 4): the output
// norm keeps the projections spread, which SimSiam needs to avoid collapse.
// Weights are seeded from (seed, name), as the backbones' are.
import * as tf from '@tensorflow/tfjs';
import { seedFrom } from '../engine/random';
import { BatchNorm } from './layers/batch-norm';

export interface MlpHeadOptions {
  /** Names the model and prefixes its layers (`projector_fc1`, ...). */
  name: string;
  inputDim: number;
  hiddenDim: number;
  outDim: number;
  seed: number;
  /** Linear layers (default 2); every one but the last is Linear-BN-ReLU. */
  layers?: number;
  /** A batch norm after the last linear layer: 'affine' with a learned scale and offset, 'plain' without (SimSiam's projector). */
  outputNorm?: false | 'affine' | 'plain';
}

export function mlpHead(o: MlpHeadOptions): tf.LayersModel {
  const layers = o.layers ?? 2;
  for (const [k, v] of [['inputDim', o.inputDim], ['hiddenDim', o.hiddenDim], ['outDim', o.outDim], ['layers', layers]] as const) {
    if (!(Number.isInteger(v) && v >= 1)) throw new Error(`${o.name}: ${k} must be a positive integer, got ${v}`);
  }
  const dense = (name: string, units: number, bias: boolean) => tf.layers.dense({
    name: `${o.name}_${name}`, units, useBias: bias,
    kernelInitializer: tf.initializers.glorotUniform({ seed: seedFrom(o.seed, o.name, name) }),
  });
  const bn = (name: string, affine = true) => new BatchNorm({ name: `${o.name}_${name}`, momentum: 0.9, epsilon: 1e-5, affine });
  const input = tf.input({ shape: [o.inputDim], name: `${o.name}_input` });
  let x = input;
  // No bias before a batch norm (it would be cancelled by the mean subtraction).
  for (let i = 1; i < layers; i++) {
    x = dense(`fc${i}`, o.hiddenDim, false).apply(x) as tf.SymbolicTensor;
    x = bn(`bn${i}`).apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU({ name: `${o.name}_relu${i}` }).apply(x) as tf.SymbolicTensor;
  }
  x = dense(`fc${layers}`, o.outDim, !o.outputNorm).apply(x) as tf.SymbolicTensor;
  if (o.outputNorm) x = bn(`bn${layers}`, o.outputNorm === 'affine').apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name: o.name });
}
