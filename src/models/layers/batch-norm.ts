// Batch normalisation whose moving statistics are usable after a few dozen
// steps. With an exponential average alone (tf.layers.batchNormalization,
// momentum 0.9) the initial variance of 1 still weighs 0.9^20 = 12% after the
// 20 steps of one epoch on a 600-image split; where the true variance is
// 0.006 (a first conv on gray cells) the evaluated model was at chance while
// it scored 75% with batch statistics. So the average is cumulative until it
// has seen 1 / (1 - momentum) batches, then exponential: decay_t =
// max(1 - momentum, 1 / (t + 1)), with t kept in `num_batches_tracked` (as
// PyTorch's buffer) so a checkpoint resumes the same way. The moving variance
// is the unbiased one, as PyTorch's. Weight names match Keras' layer (gamma,
// beta, moving_mean, moving_variance), so converted Keras weights transfer.
import * as tf from '@tensorflow/tfjs';
import { batchNormTrain } from '../../engine/batch-norm-train';
import { heapView } from '../../engine/wasm-heap';
import { singleInput, singleShape, type LayerArgs } from './common';

export interface BatchNormArgs extends LayerArgs {
  /** Fraction of the old average kept per step once warmed up (Keras' momentum; PyTorch's 0.1 = 0.9 here). */
  momentum?: number;
  epsilon?: number;
  /** Start gamma at 0 (the last norm of a residual branch). */
  zeroGamma?: boolean;
  /** false: no learned scale and offset (gamma 1, beta 0; PyTorch's affine=False, SimSiam's projector output). */
  affine?: boolean;
}

export class BatchNorm extends tf.layers.Layer {
  static className = 'CellabBatchNorm';
  readonly momentum: number;
  readonly epsilon: number;
  readonly zeroGamma: boolean;
  readonly affine: boolean;
  private gamma?: tf.LayerVariable;
  private beta?: tf.LayerVariable;
  private movingMean!: tf.LayerVariable;
  private movingVariance!: tf.LayerVariable;
  private tracked!: tf.LayerVariable;

  constructor(args: BatchNormArgs) {
    super(args);
    this.momentum = args.momentum ?? 0.9;
    this.epsilon = args.epsilon ?? 1e-5;
    this.zeroGamma = args.zeroGamma ?? false;
    this.affine = args.affine ?? true;
    this.supportsMasking = true;
  }

  override build(inputShape: tf.Shape | tf.Shape[]): void {
    const shape = singleShape(inputShape);
    const c = shape[shape.length - 1];
    if (c == null) throw new Error(`BatchNorm '${this.name}' needs a known channel count, got [${shape.join(', ')}]`);
    if (this.affine) {
      this.gamma = this.addWeight('gamma', [c], 'float32', this.zeroGamma ? tf.initializers.zeros() : tf.initializers.ones());
      this.beta = this.addWeight('beta', [c], 'float32', tf.initializers.zeros());
    }
    this.movingMean = this.addWeight('moving_mean', [c], 'float32', tf.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight('moving_variance', [c], 'float32', tf.initializers.ones(), undefined, false);
    this.tracked = this.addWeight('num_batches_tracked', [], 'float32', tf.initializers.zeros(), undefined, false);
    this.built = true;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const x = singleInput(inputs);
    return tf.tidy(() => {
      const c = x.shape[x.rank - 1]!;
      const gamma = (this.gamma ? this.gamma.read() : tf.ones([c])) as tf.Tensor1D;
      const beta = (this.beta ? this.beta.read() : tf.zeros([c])) as tf.Tensor1D;
      if (!kwargs['training']) {
        return tf.batchNorm(x, this.movingMean.read(), this.movingVariance.read(), beta, gamma, this.epsilon);
      }
      // One op with a closed-form gradient (engine/batch-norm-train.ts): ~40% fewer kernels per
      // step on a ResNet than moments + element-wise ops, which matters on wasm.
      const { y, mean, variance } = batchNormTrain(x, gamma, beta, this.epsilon);
      // Moving statistics (not on the loss' path, so no gradient flows into them).
      const n = x.size / x.shape[x.rank - 1]!;
      if (!this.updateMovingOnHeap(mean, variance, n)) {
        // decay = max(1 - momentum, 1 / (t + 1)) on the device: no read per step (engine/reads.ts).
        const t1 = tf.add(this.tracked.read(), 1);
        const decay = tf.maximum(1 - this.momentum, tf.reciprocal(t1));
        const m = mean, v = tf.mul(variance, n / Math.max(1, n - 1));
        this.movingMean.write(tf.add(this.movingMean.read(), tf.mul(tf.sub(m, this.movingMean.read()), decay)));
        this.movingVariance.write(tf.add(this.movingVariance.read(), tf.mul(tf.sub(v, this.movingVariance.read()), decay)));
        this.tracked.write(t1);
      }
      tf.dispose([mean, variance]); // kept by batchNormTrain for us; tidy would not free them
      return y;
    });
  }

  /**
   * The moving-statistics update above in one JS pass over the wasm heap (the
   * statistics are a few hundred floats; as tf ops it is ten kernels per layer
   * and step, ~200 on a resnet18, each with the engine's overhead). Same
   * formula, float32 results. False where tensors are not on the wasm heap.
   */
  private updateMovingOnHeap(mean: tf.Tensor, variance: tf.Tensor, n: number): boolean {
    const mm0 = this.movingMean.read(), mv0 = this.movingVariance.read(), t0 = this.tracked.read();
    const mm = heapView(mm0), mv = heapView(mv0), tr = heapView(t0), bm = heapView(mean), bv = heapView(variance);
    if (!mm || !mv || !tr || !bm || !bv) return false;
    const c = mm.length, t1 = Math.fround(tr[0] + 1);
    const decay = Math.max(Math.fround(1 - this.momentum), Math.fround(1 / t1)), unbias = n / Math.max(1, n - 1);
    const nextMean = new Float32Array(c), nextVar = new Float32Array(c);
    for (let k = 0; k < c; k++) {
      nextMean[k] = mm[k] + (bm[k] - mm[k]) * decay;
      nextVar[k] = mv[k] + (bv[k] * unbias - mv[k]) * decay;
    }
    // The views are done with: allocating may grow the heap.
    this.movingMean.write(tf.tensor1d(nextMean));
    this.movingVariance.write(tf.tensor1d(nextVar));
    this.tracked.write(tf.scalar(t1));
    return true;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), momentum: this.momentum, epsilon: this.epsilon, zeroGamma: this.zeroGamma, affine: this.affine };
  }
}
tf.serialization.registerClass(BatchNorm);
