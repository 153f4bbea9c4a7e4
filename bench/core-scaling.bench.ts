// How much of what a second core gives does one training process get? The
// same resnet18 training (width 0.25, 64 px, batch 32, Adam; the `train` mode
// of bench/train.bench.ts) timed three ways, for cellab (wasm) and for PyTorch:
//   - alone: one process at 1 thread;
//   - side by side: two independent 1-thread processes timed at the same time
//     (their images over the wall time until both are done): what the machine gives two busy cores, with
//     no synchronisation at all. Cores that share caches, memory bandwidth or a
//     host (a VM) give less than 2x here;
//   - two threads: one process at 2 threads.
// Row: {bench: 'core-scaling', side, net, alone_img_s, side_by_side_img_s,
// two_threads_img_s, machine_speedup = side_by_side / alone, speedup =
// two_threads / alone, efficiency = speedup / machine_speedup}. The issue's
// "2-thread / 1-thread speed-up" is `speedup`; `machine_speedup` is its
// ceiling on this machine, which is what to read it against.
//
// As in train.bench.ts each measurement is repeated ROUNDS times, alternating,
// and the best kept. Environment: BENCH_TRAIN_SECONDS (default 3),
// BENCH_TRAIN_ROUNDS (default 3), BENCH_CORE_NET (default resnet18).
import * as os from 'node:os';
import { Worker, loadNote, type Row, type Timing } from './worker';

interface Side { name: 'cellab' | 'torch'; start: (threads: number) => Worker }

const SIDES: Side[] = [
  { name: 'cellab', start: (t) => new Worker(`cellab (${t} thread(s))`, process.execPath, ['--import', 'tsx', 'bench/train-cellab.ts', String(t)], { BENCH_NET: process.env.BENCH_CORE_NET ?? 'resnet18' }) },
  { name: 'torch', start: (t) => new Worker(`torch (${t} thread(s))`, '/usr/bin/python3', ['bench/train_torch.py', String(t)]) },
];

export default async function coreScalingBench(_o: { json: boolean }): Promise<Row[]> {
  const cores = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  if (cores < 2) {
    process.stderr.write('  core-scaling needs 2 cores; skipped (1 core here)\n');
    return [];
  }
  const net = process.env.BENCH_CORE_NET ?? 'resnet18';
  const seconds = Number(process.env.BENCH_TRAIN_SECONDS ?? 3);
  const rounds = Number(process.env.BENCH_TRAIN_ROUNDS ?? 3);
  process.stderr.write(`  ${loadNote(cores)}\n`);
  const rows: Row[] = [];
  for (const side of SIDES) {
    const [a, b, two] = [side.start(1), side.start(1), side.start(2)];
    try {
      const probe = { net, mode: 'train', steps: 2, warmup: 3 };
      const pa = await a.run(probe);
      await b.run(probe);
      await two.run(probe);
      // Blocks of ~`seconds` at one thread alone; the side-by-side block runs the same steps in each process.
      const steps = Math.max(2, Math.round((seconds * pa.steps) / Math.max(1e-3, pa.seconds)));
      const cmd = { net, mode: 'train', steps };
      const best = { alone: 0, pair: 0, two: 0 };
      for (let r = 0; r < rounds; r++) {
        best.alone = Math.max(best.alone, (await a.run(cmd)).img_s);
        // Both blocks' images over the wall time until the later one ends (not the sum of their rates,
        // which would count the end of the slower block, run alone, as side by side).
        const t0 = performance.now();
        const pair: Timing[] = await Promise.all([a.run(cmd), b.run(cmd)]);
        const wall = (performance.now() - t0) / 1000;
        best.pair = Math.max(best.pair, pair.reduce((s, t) => s + t.img_s * t.seconds, 0) / wall);
        best.two = Math.max(best.two, (await two.run(cmd)).img_s);
      }
      const r3 = (v: number) => Math.round(v * 1000) / 1000;
      const row = {
        bench: 'core-scaling', side: side.name, net, alone_img_s: round(best.alone), side_by_side_img_s: round(best.pair),
        two_threads_img_s: round(best.two), machine_speedup: r3(best.pair / best.alone), speedup: r3(best.two / best.alone),
        efficiency: r3(best.two / best.pair),
      };
      process.stderr.write(`  ${side.name} ${net}: alone ${row.alone_img_s} img/s, two processes side by side ${row.side_by_side_img_s} ` +
        `(${row.machine_speedup}x), one process at 2 threads ${row.two_threads_img_s} (${row.speedup}x, ${Math.round(row.efficiency * 100)}% of side by side)\n`);
      rows.push(row);
    } finally {
      for (const w of [a, b, two]) w.close();
    }
  }
  return rows;
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
