// Where an inference forward pass's time goes on wasm: one pass of a
// backbone (batch 32, 64x64 gray, width 0.25 unless it is the tiny net) under
// tf.profile after warm-up, summed per kernel, against the wall time of the
// same pass unprofiled (the difference is per-op overhead: tfjs-layers'
// graph walk, tidy, kernel dispatch). `folded`: the model through
// src/models/inference.ts (batch norms folded into the convolutions), as
// evaluation runs it; `plain`: model.predict. `compare` alternates the two
// and keeps the fastest pass of each and each kernel's fastest time: on a
// busy machine the minima are the figures least disturbed by other work.
// PROFILE_DETAIL=1 lists every kernel. Not a benchmark; a tool for finding the next bottleneck.
// Usage: node --import tsx bench/profile-forward.ts [tiny|resnet18|<backbone>] [threads] [batch] [plain|folded|compare]
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../src/engine';
import { createBackbone, inferenceFunction } from '../src/models';

type Pass = () => void;

/** Kernels of one profiled pass (op wrappers dropped: each is counted once, as its kernel). */
async function kernels(pass: Pass): Promise<{ name: string; shapes: string; ms: number }[]> {
  const prof = await tf.profile(pass);
  return prof.kernels.filter((k) => !k.name.endsWith('__op'))
    .map((k) => ({ name: k.name, shapes: k.inputShapes.map((s) => `[${s}]`).join(' '), ms: Number(k.kernelTimeMs) || 0 }));
}

function summary(ks: { name: string; ms: number }[]): string {
  const by = new Map<string, { ms: number; n: number }>();
  for (const k of ks) {
    const e = by.get(k.name) ?? { ms: 0, n: 0 };
    e.ms += k.ms;
    e.n++;
    by.set(k.name, e);
  }
  const total = ks.reduce((a, k) => a + k.ms, 0);
  return [...by.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)
    .map(([k, e]) => `  ${k.padEnd(34)} ${e.ms.toFixed(2).padStart(8)} ms ${(100 * e.ms / total).toFixed(1).padStart(5)}%  ${String(e.n).padStart(5)} calls`).join('\n');
}

async function main(): Promise<void> {
  const name = process.argv[2] ?? 'resnet18';
  const threads = Number(process.argv[3] ?? 1);
  const batch = Number(process.argv[4] ?? 32);
  const how = process.argv[5] ?? 'compare';
  const info = await initEngine({ backend: 'wasm', threads, log: null });
  const model = createBackbone(name === 'tiny' ? 'small-cnn' : name, { inputShape: [64, 64, 1], classes: 6, width: name === 'tiny' ? 1 : 0.25, seed: 1 });
  const x = tf.randomNormal([batch, 64, 64, 1], 0, 1, 'float32', 1);
  const f = inferenceFunction(model);
  const passes: Record<string, Pass> = {
    plain: () => { const y = model.predict(x) as tf.Tensor; y.dataSync(); y.dispose(); },
    folded: () => { const y = f.predict(x); y.dataSync(); y.dispose(); },
  };
  const which = how === 'compare' ? ['plain', 'folded'] : [how];
  if (!which.every((w) => passes[w])) throw new Error(`unknown mode '${how}': plain, folded or compare`);
  for (let i = 0; i < 5; i++) for (const w of which) passes[w]();
  const reps = how === 'compare' ? 60 : 20;
  const best: Record<string, number> = {}, mean: Record<string, number> = {}, cpu: Record<string, number> = {};
  for (const w of which) { best[w] = Infinity; mean[w] = 0; cpu[w] = 0; }
  for (let r = 0; r < reps; r++) {
    for (const w of which) {
      const c0 = process.cpuUsage(), t0 = performance.now();
      passes[w]();
      const ms = performance.now() - t0, c = process.cpuUsage(c0);
      best[w] = Math.min(best[w], ms);
      mean[w] += ms / reps;
      cpu[w] += (c.user + c.system) / 1000 / reps;
    }
  }
  for (const w of which) {
    // Each kernel's fastest time over a few profiled passes (same kernels in the same order every pass).
    let minima: { name: string; shapes: string; ms: number }[] = [];
    for (let r = 0; r < (how === 'compare' ? 6 : 1); r++) {
      const ks = await kernels(passes[w]);
      minima = r === 0 ? ks : minima.map((k, i) => ({ ...k, ms: Math.min(k.ms, ks[i].ms) }));
    }
    const total = minima.reduce((a, k) => a + k.ms, 0);
    const counted = minima.filter((k) => k.name !== 'Reshape');
    console.log(`${name} forward (${w}): wasm ${info.threads} thread(s), batch ${batch}: mean ${mean[w].toFixed(2)} ms/pass, fastest ${best[w].toFixed(2)} ms (${(batch * 1000 / best[w]).toFixed(0)} img/s), CPU ${cpu[w].toFixed(1)} ms/pass; ` +
      `kernels ${total.toFixed(2)} ms in ${counted.length} calls (+ ${minima.length - counted.length} reshapes)`);
    if (process.env.PROFILE_DETAIL) for (const k of counted) console.log(`    ${k.name} ${k.shapes} ${k.ms.toFixed(3)} ms`);
    console.log(summary(minima));
  }
  f.dispose();
  process.exit(0);
}

main().catch((err) => { console.error(err); process.exit(1); });
