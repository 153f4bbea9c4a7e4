// Where a training step's time goes on wasm: one step (forward in training
// mode, loss, gradients, Adam) of a backbone under tf.profile, after warm-up,
// summed per kernel. Not a benchmark; a tool for finding the next bottleneck.
// Usage: node --import tsx bench/profile-train.ts [tiny|resnet18|<backbone>] [threads] [batch]
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../src/engine';
import { createBackbone } from '../src/models';
import { createOptimizer, makeLoss } from '../src/train';

async function main(): Promise<void> {
  const name = process.argv[2] ?? 'tiny';
  const threads = Number(process.argv[3] ?? 1);
  const batch = Number(process.argv[4] ?? 32);
  const info = await initEngine({ backend: 'wasm', threads, log: null });
  const model = createBackbone(name === 'tiny' ? 'small-cnn' : name, { inputShape: [Number(process.env.S ?? 64), Number(process.env.S ?? 64), Number(process.env.C ?? 1)], classes: 6, width: Number(process.env.W ?? (name === 'tiny' ? 1 : 0.25)), seed: 1 });
  const x = tf.randomNormal([batch, Number(process.env.S ?? 64), Number(process.env.S ?? 64), Number(process.env.C ?? 1)], 0, 1, 'float32', 1);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 6), 'int32'), 6) as tf.Tensor2D;
  const loss = makeLoss({ kind: 'cross-entropy' }, 6);
  const opt = createOptimizer({ name: 'adam' });
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const step = () => {
    const { value, grads } = tf.variableGrads(() => loss(y, model.apply(x, { training: true }) as tf.Tensor2D), vars);
    opt.step(vars, grads, 1e-3);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  for (let i = 0; i < 3; i++) step();
  const steps = 5;
  const cpu0 = process.cpuUsage();
  let t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  const stepMs = (performance.now() - t0) / steps;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000 / steps;
  t0 = performance.now();
  const prof = await tf.profile(step);
  const wall = performance.now() - t0;
  const byKernel = new Map<string, { ms: number; n: number }>();
  for (const k of prof.kernels) {
    const e = byKernel.get(k.name) ?? { ms: 0, n: 0 };
    e.ms += Number(k.kernelTimeMs) || 0;
    e.n++;
    byKernel.set(k.name, e);
  }
  const total = [...byKernel.values()].reduce((a, e) => a + e.ms, 0);
  console.log(`${name}: wasm ${info.threads} thread(s), batch ${batch}: ${stepMs.toFixed(1)} ms/step (${(batch * 1000 / stepMs).toFixed(1)} img/s), CPU ${cpuMs.toFixed(1)} ms/step; profiled step ${wall.toFixed(1)} ms, kernels ${total.toFixed(1)} ms in ${prof.kernels.length} calls`);
  for (const [k, e] of [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) {
    console.log(`  ${k.padEnd(34)} ${e.ms.toFixed(1).padStart(8)} ms ${(100 * e.ms / total).toFixed(1).padStart(5)}%  ${String(e.n).padStart(5)} calls`);
  }
  process.exit(0);
}

main().catch((err) => { console.error(err); process.exit(1); });
