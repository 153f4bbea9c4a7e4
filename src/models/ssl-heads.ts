// The MLP heads of self-supervised learning, on a backbone's pooled
// embedding [B, D]: BYOL's projector and predictor are Linear-BN-ReLU-Linear
// (Grill et al. 2020, section 3.3); SimSiam's projector ends with a batch norm
// as well (Chen & He 2021), which keeps its outputs spread at the start.
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
  /** A batch norm after the last linear layer (SimSiam's projector). */
  outputNorm?: boolean;
}

export function mlpHead(o: MlpHeadOptions): tf.LayersModel {
  for (const [k, v] of [['inputDim', o.inputDim], ['hiddenDim', o.hiddenDim], ['outDim', o.outDim]] as const) {
    if (!(Number.isInteger(v) && v >= 1)) throw new Error(`${o.name}: ${k} must be a positive integer, got ${v}`);
  }
  const dense = (name: string, units: number, bias: boolean) => tf.layers.dense({
    name: `${o.name}_${name}`, units, useBias: bias,
    kernelInitializer: tf.initializers.glorotUniform({ seed: seedFrom(o.seed, o.name, name) }),
  });
  const bn = (name: string) => new BatchNorm({ name: `${o.name}_${name}`, momentum: 0.9, epsilon: 1e-5 });
  const input = tf.input({ shape: [o.inputDim], name: `${o.name}_input` });
  // No bias before a batch norm (it would be cancelled by the mean subtraction).
  let x = dense('fc1', o.hiddenDim, false).apply(input) as tf.SymbolicTensor;
  x = bn('bn1').apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: `${o.name}_relu1` }).apply(x) as tf.SymbolicTensor;
  x = dense('fc2', o.outDim, !o.outputNorm).apply(x) as tf.SymbolicTensor;
  if (o.outputNorm) x = bn('bn2').apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name: o.name });
}
