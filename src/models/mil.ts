// The patient-level model of the lymphocytosis study (Sahasrabudhe et al.
// 2021, as the challenge report reproduces it), on frozen per-image features:
//   image expert     instance projection (Dense + ReLU: the study's layer
//                    between a frozen encoder and its heads), aggregation
//                    over the bag, a linear classifier -> y_img
//   metadata expert  MLP on the bag's clinical data -> y_meta
//   gate             linear on [metadata, a scalar summary of the aggregated
//                    image embedding], sigmoid -> pi
//   y = pi * y_img + (1 - pi) * y_meta          (experts: moe)
//   y = y_img (experts: image), y = y_meta (experts: metadata)
// Optional auxiliary head: a linear regression of a bag-level number (the
// lymphocyte count) from the aggregated image embedding.
// Outputs are probabilities of the positive class, not logits.
import * as tf from '@tensorflow/tfjs';
import { seedFrom } from '../engine/random';
import { createAggregator, glorotVariable, zerosVariable, type Aggregator } from './aggregation';

export type MilExperts = 'image' | 'metadata' | 'moe';

export interface MilOptions {
  /** Width of the per-image features (the frozen backbone's embedding). */
  featureDim: number;
  /** Width of the encoded metadata (0 without metadata). */
  metaDim: number;
  experts: MilExperts;
  aggregation: string;
  /** Instance projection width. */
  hidden: number;
  attentionDim: number;
  /** Hidden width of the metadata MLP. */
  metadataHidden: number;
  /** Dropout on instance embeddings while training. */
  dropout: number;
  /** Add the auxiliary regression head. */
  auxiliary: boolean;
  seed: number;
}

export interface MilInput {
  /** Instance features [B, N, D] (padded). */
  x?: tf.Tensor3D;
  /** [B, N]: 1 for an image, 0 for padding. */
  mask?: tf.Tensor2D;
  /** Encoded metadata [B, M]. */
  meta?: tf.Tensor2D;
}

export interface MilOutput {
  /** P(positive) per bag [B]. */
  y: tf.Tensor1D;
  yImage?: tf.Tensor1D;
  yMeta?: tf.Tensor1D;
  /** Gate weight of the image expert [B] (moe). */
  pi?: tf.Tensor1D;
  /** How much each image counted [B, N]. */
  weights?: tf.Tensor2D;
  /** Auxiliary regression output [B] (standardised units). */
  aux?: tf.Tensor1D;
}

let instances = 0;

export class MilModel {
  readonly variables: tf.Variable[] = [];
  private readonly agg?: Aggregator;
  private readonly v: Record<string, tf.Variable> = {};

  constructor(readonly options: MilOptions) {
    const o = options;
    if (o.experts !== 'image' && o.metaDim <= 0) throw new Error(`model.metadata: the ${o.experts === 'moe' ? 'mixture of experts' : 'metadata expert'} needs clinical columns: set dataset.metadata`);
    if (o.experts !== 'metadata' && o.featureDim <= 0) throw new Error('the image expert needs per-image features (featureDim > 0)');
    const name = `mil${instances++}`;
    const seed = seedFrom(o.seed, 'mil');
    const dense = (key: string, fanIn: number, fanOut: number) => {
      this.v[`${key}_W`] = glorotVariable(`${name}/${key}_W`, fanIn, fanOut, seed);
      this.v[`${key}_b`] = zerosVariable(`${name}/${key}_b`, [fanOut]);
    };
    if (o.experts !== 'metadata') {
      dense('project', o.featureDim, o.hidden);
      this.agg = createAggregator(o.aggregation, { dim: o.hidden, attentionDim: o.attentionDim, seed, name });
      dense('image_head', o.hidden, 1);
      if (o.auxiliary) dense('aux_head', o.hidden, 1);
    }
    if (o.experts !== 'image') {
      dense('meta_hidden', o.metaDim, o.metadataHidden);
      dense('meta_head', o.metadataHidden, 1);
    }
    if (o.experts === 'moe') {
      dense('summary', o.hidden, 1);
      dense('gate', o.metaDim + 1, 1);
    }
    this.variables.push(...Object.values(this.v), ...(this.agg?.variables ?? []));
  }

  private lin(key: string, x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.v[`${key}_W`]), this.v[`${key}_b`]) as tf.Tensor2D;
  }

  /** Forward pass; `dropoutSeed` varies the masks per step when training. */
  apply(input: MilInput, o: { training?: boolean; dropoutSeed?: number } = {}): MilOutput {
    const out: Partial<MilOutput> = {};
    let summary: tf.Tensor2D | undefined;
    if (this.agg) {
      const { x, mask } = input;
      if (!x || !mask) throw new Error('the image expert needs instance features and a mask');
      const [B, N, D] = x.shape;
      let h = tf.relu(this.lin('project', x.reshape([B * N, D]) as tf.Tensor2D)) as tf.Tensor2D;
      if (o.training && this.options.dropout > 0) h = tf.dropout(h, this.options.dropout, undefined, o.dropoutSeed ?? 0) as tf.Tensor2D;
      const { z, weights } = this.agg.apply(h.reshape([B, N, this.options.hidden]) as tf.Tensor3D, mask);
      out.weights = weights;
      out.yImage = tf.sigmoid(this.lin('image_head', z)).reshape([B]) as tf.Tensor1D;
      if (this.options.auxiliary) out.aux = this.lin('aux_head', z).reshape([B]) as tf.Tensor1D;
      if (this.options.experts === 'moe') summary = this.lin('summary', z);
    }
    if (this.options.experts !== 'image') {
      const { meta } = input;
      if (!meta) throw new Error('the metadata expert needs the bags\' metadata');
      const hidden = tf.relu(this.lin('meta_hidden', meta)) as tf.Tensor2D;
      out.yMeta = tf.sigmoid(this.lin('meta_head', hidden)).reshape([meta.shape[0]]) as tf.Tensor1D;
    }
    if (this.options.experts === 'moe') {
      const pi = tf.sigmoid(this.lin('gate', tf.concat([input.meta!, summary!], 1) as tf.Tensor2D)).reshape([input.meta!.shape[0]]) as tf.Tensor1D;
      out.pi = pi;
      out.y = tf.add(tf.mul(pi, out.yImage!), tf.mul(tf.sub(1, pi), out.yMeta!)) as tf.Tensor1D;
    } else {
      out.y = (this.options.experts === 'image' ? out.yImage : out.yMeta)!;
    }
    return out as MilOutput;
  }

  /** Copies of the current values (for restoring the best epoch). */
  getWeights(): tf.Tensor[] {
    return this.variables.map((v) => v.clone());
  }

  setWeights(values: tf.Tensor[]): void {
    this.variables.forEach((v, i) => v.assign(values[i]));
  }

  /** Options and weights as plain JSON (the run's `mil_head.json`); read asynchronously (engine/reads.ts). */
  async serialize(): Promise<{ options: MilOptions; weights: Record<string, { shape: number[]; values: number[] }> }> {
    const values = await Promise.all(this.variables.map((v) => v.data()));
    return {
      options: this.options,
      weights: Object.fromEntries(this.variables.map((v, i) => [v.name.replace(/^mil\d+\//, ''), { shape: v.shape, values: Array.from(values[i]) }])),
    };
  }

  dispose(): void {
    tf.dispose(this.variables);
  }
}
