// cellab on webgpu vs cellab on wasm, same nets and inputs as bench/train.bench.ts
// (the tiny CNN and resnet18 at width 0.25, 64x64x1, batch 32, Adam, the real
// training loop): what the WebGPU path gives on this machine's adapter (a GPU,
// or lavapipe emulating one on the CPU, reported as device `cpu-emulated`).
// One worker per backend (bench/train-cellab.ts, BENCH_BACKEND), each warmed
// up, timed in alternation, best of ROUNDS kept. No adapter: no rows, and a
// line saying why.
// Row: {bench: 'webgpu', net, mode, device, threads, cellab_img_s, wasm_img_s, vs_wasm}
// with cellab_img_s on webgpu, wasm_img_s on wasm at `threads` threads, vs_wasm = their ratio.
// Environment: BENCH_WEBGPU_NETS (default "tiny,resnet18"), BENCH_WEBGPU_MODES
// (default "train,forward"), BENCH_WEBGPU_SECONDS (per timed block, default 3),
// BENCH_WEBGPU_ROUNDS (default 2), BENCH_WEBGPU_THREADS (wasm threads, default: cores).
import * as os from 'node:os';
import { probeAdapter } from '../src/engine/webgpu';
import { Worker, loadNote, type Row, type Timing } from './worker';

const list = (name: string, fallback: string) => (process.env[name] ?? fallback).split(',').map((s) => s.trim()).filter(Boolean);

export default async function webgpuBench(): Promise<Row[]> {
  const probe = probeAdapter();
  if (!probe.ok) {
    process.stderr.write(`  skipped: no WebGPU adapter here (${probe.reason})\n`);
    return [];
  }
  const cores = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  const threads = Number(process.env.BENCH_WEBGPU_THREADS ?? cores);
  const seconds = Number(process.env.BENCH_WEBGPU_SECONDS ?? 3);
  const rounds = Number(process.env.BENCH_WEBGPU_ROUNDS ?? 2);
  process.stderr.write(`  adapter ${probe.adapter.description}${probe.adapter.software ? ' (software)' : ''}; ${loadNote(cores)}\n`);
  const args = ['--import', 'tsx', 'bench/train-cellab.ts', String(threads)];
  const gpu = new Worker('cellab webgpu', process.execPath, args, { BENCH_BACKEND: 'webgpu' });
  const wasm = new Worker(`cellab wasm (${threads} thread(s))`, process.execPath, args, { BENCH_BACKEND: 'wasm' });
  const rows: Row[] = [];
  try {
    for (const net of list('BENCH_WEBGPU_NETS', 'tiny,resnet18')) {
      for (const mode of list('BENCH_WEBGPU_MODES', 'train,forward')) {
        const warm = { net, mode, steps: 2, warmup: 2 };
        const [g0, w0] = [await gpu.run(warm), await wasm.run(warm)];
        const steps = (t: Timing) => Math.max(2, Math.round((seconds * t.steps) / Math.max(1e-3, t.seconds)));
        const best = { gpu: 0, wasm: 0 };
        let device = g0.device;
        for (let r = 0; r < rounds; r++) {
          const g = await gpu.run({ net, mode, steps: steps(g0) });
          device = g.device;
          best.gpu = Math.max(best.gpu, g.img_s);
          best.wasm = Math.max(best.wasm, (await wasm.run({ net, mode, steps: steps(w0) })).img_s);
        }
        rows.push({ bench: 'webgpu', net, mode, device, threads, cellab_img_s: +best.gpu.toFixed(2), wasm_img_s: +best.wasm.toFixed(2), vs_wasm: +(best.gpu / best.wasm).toFixed(3) });
      }
    }
  } finally {
    gpu.close();
    wasm.close();
  }
  return rows;
}
