// What a fused batch-norm layer would save: a backbone trained with the batch
// norm src/models builds today (LayerBuilder.bn: CellabBatchNorm, tf.moments
// plus element-wise ops, all differentiated by autodiff) vs the same backbone
// with a small layer around engine's batchNormTrain (one op, closed-form
// gradient; defined here, not in src/models; plain exponential moving averages,
// which do not change the cost). Steps of the two alternate; prints CPU ms
// per step, kernels per step, and whether the losses agree.
// Usage: node --import tsx bench/profile-fused-bn.ts [backbone=resnet18] [threads=1] [batch=32]
import * as tf from '@tensorflow/tfjs';
import { initEngine, batchNormTrain } from '../src/engine';
import { createBackbone, LayerBuilder } from '../src/models';
import { createOptimizer, makeLoss } from '../src/train';

/** Keras-compatible batch norm over the last axis, training mode through batchNormTrain. */
class FusedBatchNorm extends tf.layers.Layer {
  static className = 'CellabFusedBatchNorm';
  private gamma!: tf.LayerVariable;
  private beta!: tf.LayerVariable;
  private movingMean!: tf.LayerVariable;
  private movingVariance!: tf.LayerVariable;

  constructor(private readonly a: { name: string; momentum: number; epsilon: number; zeroGamma?: boolean }) {
    super({ name: a.name });
  }

  build(inputShape: tf.Shape | tf.Shape[]): void {
    const c = (inputShape as number[])[(inputShape as number[]).length - 1];
    this.gamma = this.addWeight('gamma', [c], 'float32', this.a.zeroGamma ? tf.initializers.zeros() : tf.initializers.ones());
    this.beta = this.addWeight('beta', [c], 'float32', tf.initializers.zeros());
    this.movingMean = this.addWeight('moving_mean', [c], 'float32', tf.initializers.zeros(), undefined, false);
    this.movingVariance = this.addWeight('moving_variance', [c], 'float32', tf.initializers.ones(), undefined, false);
    this.built = true;
  }

  call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const g = this.gamma.read() as tf.Tensor1D, b = this.beta.read() as tf.Tensor1D;
    if (!kwargs.training) return tf.batchNorm(x, this.movingMean.read(), this.movingVariance.read(), b, g, this.a.epsilon);
    const out = batchNormTrain(x, g, b, this.a.epsilon);
    tf.tidy(() => {
      const m = this.a.momentum;
      this.movingMean.write(tf.add(tf.mul(this.movingMean.read(), m), tf.mul(out.mean, 1 - m)));
      this.movingVariance.write(tf.add(tf.mul(this.movingVariance.read(), m), tf.mul(out.variance, 1 - m)));
    });
    tf.dispose([out.mean, out.variance]);
    return out.y;
  }
}

async function main(): Promise<void> {
  const name = process.argv[2] ?? 'resnet18';
  const threads = Number(process.argv[3] ?? 1);
  const batch = Number(process.argv[4] ?? 32);
  await initEngine({ backend: 'wasm', threads, log: null });
  const build = (fused: boolean) => {
    const original = LayerBuilder.prototype.bn;
    if (fused) {
      LayerBuilder.prototype.bn = function (x, layerName, o = {}) {
        return new FusedBatchNorm({ name: layerName, momentum: 0.9, epsilon: 1e-5, zeroGamma: o.zeroGamma }).apply(x) as tf.SymbolicTensor;
      };
    }
    try {
      return createBackbone(name, { inputShape: [64, 64, 1], classes: 6, width: name === 'resnet18' ? 0.25 : undefined, seed: 1 });
    } finally {
      LayerBuilder.prototype.bn = original;
    }
  };
  const x = tf.randomNormal([batch, 64, 64, 1], 0, 1, 'float32', 1);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 6), 'int32'), 6) as tf.Tensor2D;
  const loss = makeLoss({ kind: 'cross-entropy' }, 6);
  const sides = [false, true].map((fused) => {
    const model = build(fused);
    const opt = createOptimizer({ name: 'adam' });
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const losses: number[] = [];
    const step = () => {
      const { value, grads } = tf.variableGrads(() => loss(y, model.apply(x, { training: true }) as tf.Tensor2D), vars);
      opt.step(vars, grads, 1e-3);
      losses.push(value.dataSync()[0]);
      tf.dispose([value, ...Object.values(grads)]);
    };
    return { label: fused ? 'batchNormTrain layer' : 'models\' BatchNorm (today)', step, losses, cpuMs: [] as number[], kernels: 0 };
  });
  for (const s of sides) for (let i = 0; i < 3; i++) s.step();
  for (let round = 0; round < 5; round++) {
    for (const s of sides) {
      const c0 = process.cpuUsage();
      for (let i = 0; i < 3; i++) s.step();
      const c = process.cpuUsage(c0);
      s.cpuMs.push((c.user + c.system) / 1000 / 3);
    }
  }
  for (const s of sides) s.kernels = (await tf.profile(s.step)).kernels.length;
  for (const s of sides) {
    const best = Math.min(...s.cpuMs);
    console.log(`${name} ${s.label.padEnd(26)} ${best.toFixed(1)} ms CPU/step (best of 5; ${(batch * 1000 / best).toFixed(1)} img/s), ${s.kernels} kernels/step`);
  }
  const d = Math.max(...sides[0].losses.map((l, i) => Math.abs(l - sides[1].losses[i])));
  console.log(`largest loss difference over ${sides[0].losses.length} identical steps: ${d.toExponential(2)}`);
  process.exit(0);
}

main().catch((err) => { console.error(err); process.exit(1); });
