// Training, forward and feature-extraction throughput of cellab on wasm vs
// PyTorch (Debian's python3-torch, /usr/bin/python3) on the same networks
// and thread count: the tiny CNN (conv16-pool-conv32-pool-conv64-GAP-dense6,
// cellab's small-cnn) and resnet18 (width 0.25, torchvision
// layout), 64x64x1 inputs, batch 32, Adam.
//
// One long-lived worker per side and thread count (bench/train-cellab.ts,
// bench/train_torch.py): each is warmed up first (XNNPACK creates its
// operators lazily; PyTorch/oneDNN picks kernels on first use), then the two
// are timed in alternation, ROUNDS times, and the best round of each is kept
// (the least disturbed by anything else running on the machine).
// Row: {bench: 'train', net, mode, threads, cellab_img_s, torch_img_s, ratio}
// with ratio = cellab_img_s / torch_img_s.
//
// Environment: BENCH_TRAIN_THREADS (default "1,<cores>"), BENCH_TRAIN_NETS
// (default "tiny,resnet18"), BENCH_TRAIN_MODES (default "train,forward,features"; forward-layers:
// cellab's forward without batch-norm folding, model.predict, for before/after),
// BENCH_TRAIN_SECONDS (target seconds per timed block, default 3), BENCH_TRAIN_ROUNDS (default 3).
import * as os from 'node:os';
import { Worker, loadNote, type Row, type Timing } from './worker';

function list(name: string, fallback: string): string[] {
  return (process.env[name] ?? fallback).split(',').map((s) => s.trim()).filter(Boolean);
}

export default async function trainBench(_o: { json: boolean }): Promise<Row[]> {
  const cores = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  const threadCounts = [...new Set(list('BENCH_TRAIN_THREADS', `1,${cores}`).map(Number))];
  const nets = list('BENCH_TRAIN_NETS', 'tiny,resnet18');
  const modes = list('BENCH_TRAIN_MODES', 'train,forward,features');
  const seconds = Number(process.env.BENCH_TRAIN_SECONDS ?? 3);
  const rounds = Number(process.env.BENCH_TRAIN_ROUNDS ?? 3);
  process.stderr.write(`  ${loadNote(cores)}\n`);
  const rows: Row[] = [];
  for (const threads of threadCounts) {
    const torch = new Worker(`torch (${threads} thread(s))`, '/usr/bin/python3', ['bench/train_torch.py', String(threads)]);
    try {
      for (const net of nets) {
        // One cellab worker per net: its engine starts as run-experiment starts it for that backbone (BENCH_NET).
        const cellab = new Worker(`cellab (${threads} thread(s), ${net})`, process.execPath, ['--import', 'tsx', 'bench/train-cellab.ts', String(threads)], { BENCH_NET: net });
        try {
          for (const mode of modes) {
            // Size the timed blocks from a warm-up run of each side.
            const probe = { net, mode, steps: 2, warmup: 3 };
            const [c0, t0] = [await cellab.run(probe), await torch.run(probe)];
            const steps = (t: Timing) => Math.max(2, Math.round((seconds * t.steps) / Math.max(1e-3, t.seconds)));
            const best = { cellab: 0, torch: 0 };
            for (let r = 0; r < rounds; r++) {
              best.cellab = Math.max(best.cellab, (await cellab.run({ net, mode, steps: steps(c0) })).img_s);
              best.torch = Math.max(best.torch, (await torch.run({ net, mode, steps: steps(t0) })).img_s);
            }
            const row = { bench: 'train', net, mode, threads, cellab_img_s: round(best.cellab), torch_img_s: round(best.torch),
              ratio: Math.round((best.cellab / best.torch) * 1000) / 1000 };
            process.stderr.write(`  ${net} ${mode} ${threads} thread(s): cellab ${row.cellab_img_s} img/s, torch ${row.torch_img_s} img/s, ratio ${row.ratio}\n`);
            rows.push(row);
          }
        } finally {
          cellab.close();
        }
      }
    } finally {
      torch.close();
    }
  }
  return rows;
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
