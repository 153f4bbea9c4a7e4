// The networks of self-supervised pretraining and one training step.
// Online: backbone (up to its pooled embedding) -> projector -> predictor.
// BYOL: a target copy of backbone + projector, never handed to the optimiser,
// moved towards the online weights by an EMA after each step; the online
// prediction of one view regresses the target projection of the other.
// SimSiam: no target; the other view's own projection, behind a stop-gradient.
import * as tf from '@tensorflow/tfjs';
import { embeddingModel } from '../features';
import { mlpHead } from '../../models/ssl-heads';
import type { Optimizer } from '../optimizers';
import { clipGradients } from '../clip';
import { emaPairs, emaUpdate, type EmaPair } from './ema';
import { byolLoss, embeddingStd, simsiamLoss, stopGradient } from './losses';
import type { SslConfig } from './schema';

export type SslMethod = 'byol' | 'simsiam';

export interface Branch {
  /** Input -> pooled embedding (shares its layers with the backbone). */
  embed: tf.LayersModel;
  projector: tf.LayersModel;
}

export interface StepResult {
  loss: number;
  /** embeddingStd of the online projections of this batch. */
  embeddingStd: number;
  /** With `embeddings: true`: the online backbone's pooled embeddings of the 2n views, row-major [2n, dim]. */
  embeddings?: Float32Array;
  dim?: number;
}

/** [a; b] -> [b; a] along the rows (a and b have n rows each). */
function swapHalves(z: tf.Tensor2D, n: number): tf.Tensor2D {
  return tf.concat([z.slice([n, 0], [n, -1]), z.slice([0, 0], [n, -1])], 0) as tf.Tensor2D;
}

/** A copy of `m` with its own weights (same config, same values). */
async function cloneModel(m: tf.LayersModel): Promise<tf.LayersModel> {
  const copy = await tf.models.modelFromJSON({ modelTopology: m.toJSON(null, false) as tf.io.ModelJSON["modelTopology"] });
  copyWeights(copy.weights, m.weights);
  return copy;
}

function copyWeights(to: tf.LayerVariable[], from: tf.LayerVariable[]): void {
  const byName = new Map(from.map((w) => [w.originalName, w]));
  for (const w of to) {
    const src = byName.get(w.originalName);
    if (!src) throw new Error(`cannot copy weights: no ${w.originalName} in the source network`);
    w.write(src.read());
  }
}

export class SslLearner {
  private constructor(
    readonly method: SslMethod,
    readonly online: Branch,
    readonly predictor: tf.LayersModel,
    readonly target: Branch | undefined,
    private readonly targetBackbone: tf.LayersModel | undefined,
  ) {}

  static async create(backbone: tf.LayersModel, o: { method: SslMethod; featureLayer: string; ssl: SslConfig; seed: number }): Promise<SslLearner> {
    const embed = embeddingModel(backbone, o.featureLayer);
    const dim = embed.outputs[0].shape[1] as number;
    const s = o.ssl;
    // SimSiam's projector: 3 layers, BN on each, the output's without affine (Chen & He 2021, 4); BYOL's: 2 layers.
    const projector = () => mlpHead({ name: 'projector', inputDim: dim, hiddenDim: s.projectionHiddenDim, outDim: s.projectionDim, seed: o.seed,
      ...(o.method === 'simsiam' ? { layers: 3, outputNorm: 'plain' as const } : {}) });
    const predictorHidden = s.predictorHiddenDim ?? (o.method === 'byol' ? s.projectionHiddenDim : Math.max(1, Math.round(s.projectionDim / 4)));
    const predictor = mlpHead({ name: 'predictor', inputDim: s.projectionDim, hiddenDim: predictorHidden, outDim: s.projectionDim, seed: o.seed });
    const online: Branch = { embed, projector: projector() };
    if (o.method === 'simsiam') return new SslLearner(o.method, online, predictor, undefined, undefined);
    let targetBackbone: tf.LayersModel | undefined;
    try {
      targetBackbone = await cloneModel(backbone);
      const target: Branch = { embed: embeddingModel(targetBackbone, o.featureLayer), projector: projector() };
      copyWeights(target.projector.weights, online.projector.weights);
      return new SslLearner(o.method, online, predictor, target, targetBackbone);
    } catch (err) {
      targetBackbone?.dispose();
      online.projector.dispose();
      predictor.dispose();
      throw new Error(`cannot build BYOL's target network for ${backbone.name}: ${(err as Error).message}`);
    }
  }

  /** What the optimiser updates: the online network's trainable weights (backbone, projector, predictor). */
  trainableVariables(): tf.Variable[] {
    return [...this.online.embed.trainableWeights, ...this.online.projector.trainableWeights, ...this.predictor.trainableWeights]
      .map((w) => w.read() as tf.Variable);
  }

  /** The target weights and the online weights they follow (BYOL; empty for SimSiam). */
  emaPairs(): EmaPair[] {
    if (!this.target) return [];
    return emaPairs([...this.target.embed.weights, ...this.target.projector.weights],
      [...this.online.embed.trainableWeights, ...this.online.projector.trainableWeights]);
  }

  private project(b: Branch, x: tf.Tensor, keepEmbedding?: (e: tf.Tensor2D) => void): tf.Tensor2D {
    const e = b.embed.apply(x, { training: true }) as tf.Tensor2D;
    keepEmbedding?.(e);
    return b.projector.apply(e, { training: true }) as tf.Tensor2D;
  }

  /**
   * One step on x = [view 1; view 2] (n images each): the symmetrised loss
   * (BYOL: L + L~ with L = 2 - 2 cos; SimSiam: (D(p1, z2) + D(p2, z1)) / 2 with
   * D = -cos), gradients of `vars` only, the optimiser update, then the EMA of
   * the target with rate `tau` (BYOL). A non-finite loss updates nothing.
   */
  async step(x: tf.Tensor4D, n: number, o: { optimizer: Optimizer; lr: number; tau: number; vars: tf.Variable[]; clip?: { norm?: number | null; value?: number | null }; pairs?: EmaPair[];
    /** The predictor's own rate (SimSiam's fixed one); default lr. */
    predictorLr?: number;
    /** Also return the backbone embeddings of the batch (train/effective_rank); one more read. */
    embeddings?: boolean }): Promise<StepResult> {
    const targets = this.target ? tf.tidy(() => swapHalves(this.project(this.target!, x), n)) : undefined;
    let std: tf.Scalar | undefined;
    let emb: tf.Tensor2D | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const z = this.project(this.online, x, o.embeddings ? (e) => { emb = tf.keep(e.clone()); } : undefined);
      std = tf.keep(embeddingStd(z));
      const p = this.predictor.apply(z, { training: true }) as tf.Tensor2D;
      // Mean over the 2n rows: BYOL's two terms are means over n rows each, hence x 2.
      return targets ? tf.mul(byolLoss(p, targets), 2) as tf.Scalar : simsiamLoss(p, swapHalves(stopGradient(z), n));
    }, o.vars);
    // Whether to update depends on the loss: one asynchronous read of both numbers (engine/reads.ts).
    const both = tf.stack([value, std!]);
    let loss: number, spread: number, embeddings: Float32Array | undefined;
    try {
      [[loss, spread], embeddings] = await Promise.all([both.data(), emb?.data() as Promise<Float32Array> | undefined]);
    } finally {
      both.dispose();
    }
    if (Number.isFinite(loss)) {
      const clipped = clipGradients(grads, { norm: o.clip?.norm, value: o.clip?.value });
      if (o.predictorLr === undefined || o.predictorLr === o.lr) {
        o.optimizer.step(o.vars, clipped, o.lr);
      } else {
        const own = new Set(this.predictor.trainableWeights.map((w) => (w.read() as tf.Variable).name));
        o.optimizer.step(o.vars.filter((v) => !own.has(v.name)), clipped, o.lr);
        o.optimizer.step(o.vars.filter((v) => own.has(v.name)), clipped, o.predictorLr);
      }
      if (clipped !== grads) tf.dispose(Object.values(clipped));
      if (this.target) emaUpdate(o.pairs ?? this.emaPairs(), o.tau);
    }
    tf.dispose([value, std!, ...Object.values(grads), ...(targets ? [targets] : []), ...(emb ? [emb] : [])]);
    return { loss, embeddingStd: spread, ...(emb ? { embeddings, dim: emb.shape[1] } : {}) };
  }

  /** Frees the heads and the target (the backbone stays with its owner). */
  dispose(): void {
    this.online.projector.dispose();
    this.predictor.dispose();
    this.target?.projector.dispose();
    this.targetBackbone?.dispose();
  }
}
