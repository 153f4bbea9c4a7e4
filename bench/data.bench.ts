// Data preprocessing throughput: decode + mask + resize of the 1,455 ICPR-like
// synthetic crops to 64 px (grey, pad, bilinear) by cellab and by Debian's
// Python PIL doing the same steps, in one run; then the cache: a cold pass
// (decode + write the pack) against a second pass (read the pack).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { generateSynthetic } from '../src/data/synth/index';
import { loadDataset, resolveDatasetConfig } from '../src/data/load';
// The compiled build, as run-experiment runs it: from source, each worker thread
// would compile TypeScript through tsx as it starts (~0.4 s, more than the work).
import type * as Prepare from '../src/data/prepare';
import type * as PreparePool from '../src/data/prepare-pool';

function compiled<T>(rel: string): T {
  const file = path.join(__dirname, '..', 'dist', `${rel}.js`);
  if (!fs.existsSync(file)) throw new Error(`${path.relative(process.cwd(), file)} is missing: run \`npm run build\` before the data bench`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file) as T;
}

type Row = Record<string, unknown>;
const N = 1455;
const SIZE = 64;
const REPEATS = 3;

const PIL_SCRIPT = `
import csv, sys, time, json
import numpy as np
from PIL import Image
root = sys.argv[1]
rows = list(csv.DictReader(open(root + "/synth.csv")))
def one(r):
    im = Image.open(root + "/" + r["path"]).convert("L")
    m = np.asarray(Image.open(root + "/" + r["mask"]).convert("L")) > 127
    a = np.asarray(im).copy()
    mean = a[m].mean() / 255
    a[~m] = 0
    im = Image.fromarray(a)
    w, h = im.size
    s = ${SIZE} / max(w, h)
    nw, nh = max(1, round(w * s)), max(1, round(h * s))
    out = Image.new("L", (${SIZE}, ${SIZE}))
    out.paste(im.resize((nw, nh), Image.BILINEAR), ((${SIZE} - nw) // 2, (${SIZE} - nh) // 2))
    return np.asarray(out, dtype=np.float32) / 255, mean
times = []
for _ in range(${REPEATS}):
    t = time.perf_counter()
    for r in rows: one(r)
    times.append(time.perf_counter() - t)
print(json.dumps({"n": len(rows), "seconds": min(times)}))
`;

async function dataset(): Promise<string> {
  const root = path.join(os.tmpdir(), `cellab-bench-synth-patterns-${N}-1`);
  if (!fs.existsSync(path.join(root, 'synth.csv'))) {
    process.stderr.write(`generating the synthetic set (${N} cells) into ${root}\n`);
    fs.rmSync(root, { recursive: true, force: true });
    await generateSynthetic({ out: root, kind: 'patterns', n: N, seed: 1 });
  }
  return root;
}

/**
 * Cores this process can use right now, 1..2: a CPU loop timed alone and then on the main
 * thread and a worker at once (on a shared machine the second core is often busy, and then
 * no thread count helps; the pool's rows are meaningful only next to this figure). Median of `rounds`.
 */
async function coresFree(rounds: number): Promise<number> {
  const spin = `function spin() { let x = 0; const t = performance.now(); for (let i = 0; i < 1e7; i++) x += Math.sqrt(i); return x > 0 ? performance.now() - t : 0; }`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const local = new Function(`${spin}; return spin;`)() as () => number;
  const w = new Worker(`${spin}; const { parentPort } = require('node:worker_threads'); parentPort.on('message', () => parentPort.postMessage(spin())); parentPort.postMessage('ready');`, { eval: true, execArgv: [] });
  try {
    await new Promise((r) => w.once('message', r));
    const ratios: number[] = [];
    for (let k = 0; k < rounds; k++) {
      const alone = local();
      const other = new Promise<number>((r) => w.once('message', r));
      w.postMessage('go');
      const together = Math.max(local(), await other);
      ratios.push(Math.min(2, 2 * alone / together));
    }
    return +ratios.sort((a, b) => a - b)[Math.floor(rounds / 2)].toFixed(2);
  } finally {
    await w.terminate();
  }
}

async function best(f: () => Promise<number>, repeats = REPEATS): Promise<number> {
  let t = Infinity;
  for (let i = 0; i < repeats; i++) t = Math.min(t, await f());
  return t;
}

export default async function dataBench(_o: { json: boolean }): Promise<Row[]> {
  const { prepareItems } = compiled<typeof Prepare>('data/prepare');
  const { closePrepareWorkers, defaultWorkerCount } = compiled<typeof PreparePool>('data/prepare-pool');
  const root = await dataset();
  const cfg = resolveDatasetConfig({ format: 'icpr2012', root, image: { size: SIZE, resize: 'pad', channels: 'gray', mask: true } });
  const items = loadDataset(cfg).items;
  const image = cfg.image;

  const pil = JSON.parse(execFileSync('/usr/bin/python3', ['-c', PIL_SCRIPT, root], { encoding: 'utf8' })) as { n: number; seconds: number };
  const run = async (workers: number) => {
    const t = performance.now();
    const p = await prepareItems(items, image, { onBadInput: 'fail', cache: { enabled: false }, workers });
    if (p.items.length !== items.length) throw new Error(`prepared ${p.items.length} of ${items.length}`);
    return { seconds: (performance.now() - t) / 1000, threads: p.stats.threads };
  };
  // One thread and the pool alternated (the machine may be shared): best of each. The pool's
  // first run starts its worker(s) as a single run-experiment would; later runs reuse them.
  const threads = defaultWorkerCount();
  await closePrepareWorkers();
  let oneThread = Infinity, pooled = Infinity, pooledFirst = NaN, pooledThreads = 1;
  for (let r = 0; r < REPEATS; r++) {
    oneThread = Math.min(oneThread, (await run(1)).seconds);
    if (threads > 1) {
      const p = await run(threads);
      if (r === 0) pooledFirst = p.seconds;
      pooled = Math.min(pooled, p.seconds);
      pooledThreads = Math.max(pooledThreads, p.threads);
    }
  }
  if (threads === 1) pooled = oneThread;
  await closePrepareWorkers();
  const load = +os.loadavg()[0].toFixed(2);
  const cores_free = await coresFree(7);

  // Cache: a fresh folder, cold pass then warm pass (the second run of an experiment).
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-bench-cache-'));
  const pass = async () => {
    const t = performance.now();
    const p = await prepareItems(items, image, { onBadInput: 'fail', cache: { enabled: true, dir: cacheDir }, workers: 1 });
    return { seconds: (performance.now() - t) / 1000, decoded: p.stats.decoded };
  };
  const cold = await pass();
  const warm = await best(async () => (await pass()).seconds);
  fs.rmSync(cacheDir, { recursive: true, force: true });

  const rate = (s: number) => +(items.length / s).toFixed(1);
  const fastest = Math.min(oneThread, pooled);
  return [
    { bench: 'data.preprocess', mode: 'preprocess', images: items.length, size: SIZE, threads: 1, cellab_img_s: rate(oneThread), pil_img_s: rate(pil.seconds), ratio: +(pil.seconds / oneThread).toFixed(2), load },
    ...(threads > 1 ? [{ bench: 'data.preprocess', mode: 'preprocess', images: items.length, size: SIZE, threads, threads_used: pooledThreads, cellab_img_s: rate(pooled), pil_img_s: rate(pil.seconds), ratio: +(pil.seconds / pooled).toFixed(2),
      vs_one_thread: +(oneThread / pooled).toFixed(2), first_run_s: +pooledFirst.toFixed(3), load, cores_free }] : []),
    { bench: 'data.cache', mode: 'preprocess', images: items.length, size: SIZE, first_pass_s: +cold.seconds.toFixed(3), cached_pass_s: +warm.toFixed(3),
      decoded_first: cold.decoded, ratio: +(cold.seconds / warm).toFixed(1), vs_best_uncached: +(fastest / warm).toFixed(1) },
  ];
}
