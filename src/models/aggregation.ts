// Multiple-instance pooling: a bag of instance embeddings [B, N, H] with a
// mask [B, N] (1 = an image, 0 = padding) becomes one embedding per bag
// [B, H], plus how much each instance counted (for galleries of a patient's
// top-attended cells). Registered timm-style; `model.mil.aggregation` names one.
//   mean       the masked mean (weights 1/n)
//   max        the element-wise max (weight: share of features an instance holds the max of)
//   attention  gated attention (Ilse, Tomczak & Welling 2018):
//              a_i = softmax_i(w^T (tanh(V h_i) * sigmoid(U h_i))), z = sum_i a_i h_i
import * as tf from '@tensorflow/tfjs';
import { seedFrom } from '../engine/random';
import { didYouMean } from '../engine/schema';

export interface AggregatorOptions {
  /** Instance embedding width H. */
  dim: number;
  /** Hidden width of the attention network. */
  attentionDim: number;
  seed: number;
  /** Prefix of the variables' names (unique per model). */
  name: string;
}

export interface Aggregated {
  z: tf.Tensor2D;
  /** [B, N], zero on padding, summing to 1 over each bag's instances. */
  weights: tf.Tensor2D;
}

export interface Aggregator {
  readonly variables: tf.Variable[];
  apply(h: tf.Tensor3D, mask: tf.Tensor2D): Aggregated;
}

export type AggregatorFactory = (o: AggregatorOptions) => Aggregator;

const registry = new Map<string, { factory: AggregatorFactory; description: string }>();

export function registerAggregation(name: string, factory: AggregatorFactory, description: string): void {
  if (registry.has(name)) throw new Error(`aggregation '${name}' is already registered`);
  registry.set(name, { factory, description });
}

export function listAggregations(): { name: string; description: string }[] {
  return [...registry.entries()].map(([name, e]) => ({ name, description: e.description }));
}

export function createAggregator(name: string, o: AggregatorOptions): Aggregator {
  const e = registry.get(name);
  if (!e) throw new Error(`model.mil.aggregation '${name}' is not registered.${didYouMean(name, [...registry.keys()])} Available: ${[...registry.keys()].join(', ')}`);
  return e.factory(o);
}

/** Glorot-uniform weight [fanIn, fanOut]; its values depend on the seed and `key` (not on the unique variable name). */
export function glorotVariable(name: string, fanIn: number, fanOut: number, seed: number, key = name.split('/').pop()!): tf.Variable {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  return tf.tidy(() => tf.variable(tf.randomUniform([fanIn, fanOut], -limit, limit, 'float32', seedFrom(seed, key)), true, name));
}

export function zerosVariable(name: string, shape: number[]): tf.Variable {
  return tf.tidy(() => tf.variable(tf.zeros(shape), true, name));
}

/** Mask [B, N] -> [B, N, 1] for broadcasting over features. */
const expand = (mask: tf.Tensor2D) => mask.expandDims(2) as tf.Tensor3D;

function normalised(w: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D {
  const m = tf.mul(w, mask);
  return tf.div(m, tf.maximum(tf.sum(m, 1, true), 1e-12)) as tf.Tensor2D;
}

registerAggregation('mean', () => ({
  variables: [],
  apply: (h, mask) => {
    const n = tf.maximum(tf.sum(mask, 1, true), 1);
    return { z: tf.div(tf.sum(tf.mul(h, expand(mask)), 1), n) as tf.Tensor2D, weights: tf.div(mask, n) as tf.Tensor2D };
  },
}), 'masked mean of the instance embeddings');

registerAggregation('max', () => ({
  variables: [],
  apply: (h, mask) => {
    // Padding can never win the max: push it far below any real value.
    const masked = tf.add(h, tf.mul(tf.sub(expand(mask), 1), 1e9)) as tf.Tensor3D;
    const z = tf.max(masked, 1) as tf.Tensor2D;
    // Reporting only (no gradient needed): the share of features each instance is the max of.
    const wins = tf.mean(tf.cast(tf.equal(masked, z.expandDims(1)), 'float32'), 2) as tf.Tensor2D;
    return { z, weights: normalised(wins, mask) };
  },
}), 'element-wise max over the instances');

registerAggregation('attention', (o) => {
  const V = glorotVariable(`${o.name}/attention_V`, o.dim, o.attentionDim, o.seed);
  const U = glorotVariable(`${o.name}/attention_U`, o.dim, o.attentionDim, o.seed);
  const w = glorotVariable(`${o.name}/attention_w`, o.attentionDim, 1, o.seed);
  const bV = zerosVariable(`${o.name}/attention_bV`, [o.attentionDim]);
  const bU = zerosVariable(`${o.name}/attention_bU`, [o.attentionDim]);
  return {
    variables: [V, bV, U, bU, w],
    apply: (h, mask) => {
      const [B, N, H] = h.shape;
      const flat = h.reshape([B * N, H]) as tf.Tensor2D;
      const gated = tf.mul(tf.tanh(tf.add(tf.matMul(flat, V), bV)), tf.sigmoid(tf.add(tf.matMul(flat, U), bU))) as tf.Tensor2D;
      const scores = tf.matMul(gated, w).reshape([B, N]) as tf.Tensor2D;
      const a = tf.softmax(tf.add(scores, tf.mul(tf.sub(mask, 1), 1e9))) as tf.Tensor2D;
      const weights = tf.mul(a, mask) as tf.Tensor2D;
      return { z: tf.sum(tf.mul(h, weights.expandDims(2)), 1) as tf.Tensor2D, weights };
    },
  };
}, 'gated attention (Ilse et al. 2018): a learned weight per instance');
