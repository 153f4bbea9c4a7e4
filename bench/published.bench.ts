// The published nets at width 1 and their resolution: resnet18 and convnext-tiny
// at 224x224x3, training (Adam, batch 16) and forward throughput of cellab on
// wasm vs PyTorch (torchvision's own models, Debian's python3-torchvision) on
// the same net and thread count. Workers as bench/train.bench.ts
// (bench/train-cellab.ts and bench/train_torch.py, nets `resnet18_w1` and
// `convnext_tiny`), warmed up, timed in alternation, best of ROUNDS kept.
// Row: {bench: 'published', net, mode, threads, size, batch, cellab_img_s, torch_img_s, ratio}.
// Batch 16 for resnet18 and 4 for convnext-tiny: a convnext-tiny training step at
// 224 px keeps more than 4 GiB of activations at batch 8, past what 32-bit wasm
// can address (the run stops with "ran out of memory"); both sides use the same batch.
// Environment: BENCH_PUBLISHED_THREADS (default "1,<cores>"), BENCH_PUBLISHED_BATCH (per net: 16 / 4),
// BENCH_PUBLISHED_SIZE (224), BENCH_PUBLISHED_ROUNDS (2), BENCH_PUBLISHED_STEPS (3 per timed block).
import * as os from 'node:os';
import { Worker, loadNote, type Row } from './worker';

export default async function publishedBench(): Promise<Row[]> {
  const cores = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  const threads = [...new Set((process.env.BENCH_PUBLISHED_THREADS ?? `1,${cores}`).split(',').map(Number))];
  const batchOf = (net: string) => process.env.BENCH_PUBLISHED_BATCH ?? (net === 'convnext_tiny' ? '4' : '16');
  const size = process.env.BENCH_PUBLISHED_SIZE ?? '224';
  const rounds = Number(process.env.BENCH_PUBLISHED_ROUNDS ?? 2);
  const steps = Number(process.env.BENCH_PUBLISHED_STEPS ?? 3);
  process.stderr.write(`  ${loadNote(cores)}\n`);
  const rows: Row[] = [];
  for (const t of threads) {
    for (const net of ['resnet18_w1', 'convnext_tiny']) {
      const batch = batchOf(net);
      // BENCH_NET: the engine starts as run-experiment starts it for this backbone (XNNPACK's share of the threads).
      const cellab = new Worker(`cellab (${t} thread(s))`, process.execPath, ['--import', 'tsx', 'bench/train-cellab.ts', String(t), batch, size], { BENCH_NET: net });
      const torch = new Worker(`torch (${t} thread(s))`, '/usr/bin/python3', ['bench/train_torch.py', String(t), batch, size]);
      try {
        for (const mode of ['train', 'forward']) {
          await cellab.run({ net, mode, steps: 1, warmup: 1 });
          await torch.run({ net, mode, steps: 1, warmup: 1 });
          const best = { cellab: 0, torch: 0 };
          for (let r = 0; r < rounds; r++) {
            best.cellab = Math.max(best.cellab, (await cellab.run({ net, mode, steps })).img_s);
            best.torch = Math.max(best.torch, (await torch.run({ net, mode, steps })).img_s);
          }
          rows.push({ bench: 'published', net: net === 'resnet18_w1' ? 'resnet18' : 'convnext_tiny', mode, threads: t, size: Number(size), batch: Number(batch),
            cellab_img_s: +best.cellab.toFixed(2), torch_img_s: +best.torch.toFixed(2), ratio: +(best.cellab / best.torch).toFixed(3) });
        }
      } finally {
        cellab.close();
        torch.close();
      }
    }
  }
  return rows;
}
