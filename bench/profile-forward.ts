// Where an inference forward pass's time goes on wasm: one predict of a
// backbone (batch 32, 64x64 gray, width 0.25 unless it is the tiny net) under
// tf.profile after warm-up, summed per kernel, against the wall time of the
// same pass unprofiled (the difference is per-op overhead: tfjs-layers'
// graph walk, tidy, kernel dispatch). `folded`: the same model through
// src/models/inference.ts (batch norm folded into the convolutions, one fused
// conv + bias + ReLU op) instead of model.predict.
// Not a benchmark; a tool for finding the next bottleneck.
// Usage: node --import tsx bench/profile-forward.ts [tiny|resnet18|<backbone>] [threads] [batch] [plain|folded]
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../src/engine';
import { createBackbone, inferenceFunction } from '../src/models';

async function main(): Promise<void> {
  const name = process.argv[2] ?? 'resnet18';
  const threads = Number(process.argv[3] ?? 1);
  const batch = Number(process.argv[4] ?? 32);
  const how = process.argv[5] ?? 'plain';
  const info = await initEngine({ backend: 'wasm', threads, log: null });
  const model = createBackbone(name === 'tiny' ? 'small-cnn' : name, { inputShape: [64, 64, 1], classes: 6, width: name === 'tiny' ? 1 : 0.25, seed: 1 });
  const x = tf.randomNormal([batch, 64, 64, 1], 0, 1, 'float32', 1);
  const f = how === 'folded' ? inferenceFunction(model) : null;
  const step = () => {
    const y = f ? f.predict(x) : model.predict(x) as tf.Tensor;
    y.dataSync();
    y.dispose();
  };
  for (let i = 0; i < 5; i++) step();
  const steps = 20;
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
    if (k.name.endsWith('__op')) continue;   // the op wrapper around its kernel: counted once, as the kernel
    if (process.env.PROFILE_DETAIL) console.log(`    ${k.name} ${k.inputShapes.map((s) => `[${s}]`).join(' ')} ${Number(k.kernelTimeMs).toFixed(2)} ms`);
    const e = byKernel.get(k.name) ?? { ms: 0, n: 0 };
    e.ms += Number(k.kernelTimeMs) || 0;
    e.n++;
    byKernel.set(k.name, e);
  }
  const total = [...byKernel.values()].reduce((a, e) => a + e.ms, 0);
  console.log(`${name} forward (${how}): wasm ${info.threads} thread(s), batch ${batch}: ${stepMs.toFixed(2)} ms/pass (${(batch * 1000 / stepMs).toFixed(0)} img/s), CPU ${cpuMs.toFixed(1)} ms/pass; profiled pass ${wall.toFixed(1)} ms, kernels ${total.toFixed(2)} ms in ${[...byKernel.values()].reduce((a, e) => a + e.n, 0)} calls`);
  for (const [k, e] of [...byKernel.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) {
    console.log(`  ${k.padEnd(34)} ${e.ms.toFixed(2).padStart(8)} ms ${(100 * e.ms / total).toFixed(1).padStart(5)}%  ${String(e.n).padStart(5)} calls`);
  }
  f?.dispose();
  process.exit(0);
}

main().catch((err) => { console.error(err); process.exit(1); });
