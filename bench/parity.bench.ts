// Same recipe, same accuracy as PyTorch: bench/parity.yaml (resnet18 at width
// 0.25, 64 px, Adam, cosine, flips/quarter turns/translation) trained by
// cellab (run-experiment's own code path, wasm) and by PyTorch
// (bench/train_torch.py parity, Debian's python3-torch) over several seeds, on
// the SAME data: cellab prepares the trial's split once (decoding, masks,
// resizing) and exports its train/val/test pixels and labels as .npy, so only
// the training differs. Each side initialises its own weights (cellab's
// resnet18 follows torchvision's scheme; test/models/resnet-torch.test.ts)
// and draws its own shuffles and augmentations.
// Row: {bench: 'parity', net, mode: 'train', threads, seeds, epochs, n,
//   cellab_accuracy_mean/_std, cellab_aca_mean/_std, torch_... (std over seeds,
//   n - 1), aca_gap = cellab - torch, aca_tolerance = max(torch ACA std, 0.01),
//   parity: |aca_gap| <= aca_tolerance, cellab_aca / torch_aca per seed}.
//
// Environment: BENCH_PARITY_SEEDS (default "0,1,2"), BENCH_PARITY_SIDES
// (default "cellab,torch"), BENCH_PARITY_SET (extra overrides of the recipe,
// ';'-separated key=value, e.g. "train.epochs=2;dataset.synthetic.n=300" for a
// quick look). Accuracy figures are meaningful on a busy machine; times are not.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { loadExperimentFile, type ResolvedExperiment } from '../src/experiment/config';
import { runExperiment } from '../src/experiment/run';
import { loadTrialData } from '../src/experiment/trial';
import { initEngine } from '../src/engine/backend';
import type { PreparedBatchSource } from '../src/data/batches';

type Row = Record<string, unknown>;
interface SeedResult { seed: number; accuracy: number; average_class_accuracy: number; best_epoch?: number; seconds?: number }

const RECIPE = path.join(__dirname, 'parity.yaml');
const ROOT = path.join(__dirname, '..');
/** Augmentations bench/train_torch.py implements (in cellab's order). */
const TORCH_AUGMENTS = ['hflip', 'vflip', 'rotate90', 'translate'];

function list(name: string, fallback: string, sep = ','): string[] {
  return (process.env[name] ?? fallback).split(sep).map((s) => s.trim()).filter(Boolean);
}

function recipe(seed: number): ResolvedExperiment {
  const set = list('BENCH_PARITY_SET', '', ';');
  let r = loadExperimentFile(RECIPE, { set: [...set, `train.seed=${seed}`], profile: '' });
  // Each synthetic set (n, seed) gets its own folder: an existing folder is never regenerated.
  const s = r.config.dataset.synthetic;
  if (s) {
    const root = path.join(ROOT, 'data', `parity-hep2-n${s.n}-seed${s.seed}`);
    r = loadExperimentFile(RECIPE, { set: [...set, `train.seed=${seed}`, `dataset.root=${root}`], profile: '' });
  }
  return r;
}

/** numpy's .npy (format 1.0): little-endian float32 or int32, C order. */
function writeNpy(file: string, data: Float32Array | Int32Array, shape: number[]): void {
  const descr = data instanceof Float32Array ? '<f4' : '<i4';
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1; pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  fs.writeFileSync(file, Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

function exportSplit(dir: string, name: string, s: PreparedBatchSource): void {
  const [h, w, c] = s.shape;
  const per = h * w * c;
  const x = new Float32Array(s.size * per);
  for (let i = 0; i < s.size; i++) x.set(s.pixels(i), i * per);
  writeNpy(path.join(dir, `${name}_x.npy`), x, [s.size, h, w, c]);
  writeNpy(path.join(dir, `${name}_y.npy`), Int32Array.from(s.labels), [s.size]);
}

/** The trial's data as cellab prepares it, written for the PyTorch side with the recipe. */
async function exportData(r: ResolvedExperiment, dir: string): Promise<{ n: number; sizes: Record<string, number> }> {
  const { config } = r;
  const aug = config.dataset.augment;
  const unsupported = aug ? Object.entries(aug).filter(([k, v]) => !TORCH_AUGMENTS.includes(k) && v !== undefined && v !== 0 && v !== false).map(([k]) => k) : [];
  if (unsupported.length) throw new Error(`bench/train_torch.py does not implement dataset.augment.${unsupported.join(', ')}: leave them out of the parity recipe`);
  const data = await loadTrialData(config, { progress: 'off', log: (l) => process.stderr.write(`  ${l}\n`) });
  try {
    for (const [name, s] of [['train', data.train], ['val', data.val], ['test', data.test]] as const) exportSplit(dir, name, s);
    const t = config.train;
    const norm = data.train.options.normalize;
    fs.writeFileSync(path.join(dir, 'recipe.json'), JSON.stringify({
      classes: data.classes, width: config.model.width ?? 0.25, epochs: t.epochs, batchSize: t.batchSize, lr: t.lr, optimizer: t.optimizer,
      betas: t.betas, eps: t.eps, weightDecay: t.weightDecay ?? 0, labelSmoothing: t.labelSmoothing, schedule: t.schedule,
      restoreBest: t.restoreBest, augment: aug || null, normalize: norm ?? null,
    }, null, 1));
    return { n: data.train.size + data.val.size + data.test.size, sizes: { train: data.train.size, val: data.val.size, test: data.test.size } };
  } finally {
    data.close();
  }
}

async function cellabRun(r: ResolvedExperiment, store: string): Promise<SeedResult> {
  const t0 = Date.now();
  const run = await runExperiment(r, { trackingUri: store, progress: 'lines', log: (l) => process.stderr.write(`  ${l}\n`) });
  if (run.trial.outcome !== 'completed') throw new Error(`cellab seed ${r.config.train.seed}: ${run.trial.outcome} (${run.trial.reason ?? ''})`);
  const m = run.trial.metrics;
  return { seed: r.config.train.seed, accuracy: m.accuracy, average_class_accuracy: m.average_class_accuracy, best_epoch: run.trial.bestEpoch, seconds: (Date.now() - t0) / 1000 };
}

function torchRun(dir: string, seed: number, epochs: number): Promise<SeedResult> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.OMP_NUM_THREADS;
    const p = spawn('/usr/bin/python3', [path.join(__dirname, 'train_torch.py'), 'parity', dir, String(seed), '1'], { env });
    let out = '', err = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    readline.createInterface({ input: p.stderr }).on('line', (line) => {
      try {
        const row = (JSON.parse(line) as { progress: Record<string, number> }).progress;
        process.stderr.write(`  torch seed ${seed}: epoch ${row.epoch}/${epochs} loss ${row.train_loss.toFixed(4)}` +
          (row.val_accuracy !== undefined ? ` val acc ${row.val_accuracy.toFixed(3)}` : '') + '\n');
      } catch {
        err = (err + line + '\n').slice(-4000);
      }
    });
    p.on('error', reject);
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`bench/train_torch.py parity (seed ${seed}) exited ${code} (are python3-torch and python3-torchvision installed?): ${err}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as SeedResult);
    });
  });
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Sample standard deviation (n - 1); 0 for a single value. */
const std = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / (xs.length - 1)));
const r4 = (v: number) => Math.round(v * 1e4) / 1e4;

function summary(prefix: string, rs: SeedResult[]): Row {
  const acc = rs.map((r) => r.accuracy), aca = rs.map((r) => r.average_class_accuracy);
  return {
    [`${prefix}_accuracy_mean`]: r4(mean(acc)), [`${prefix}_accuracy_std`]: r4(std(acc)),
    [`${prefix}_aca_mean`]: r4(mean(aca)), [`${prefix}_aca_std`]: r4(std(aca)),
    [`${prefix}_aca`]: aca.map(r4), [`${prefix}_accuracy`]: acc.map(r4),
  };
}

export default async function parityBench(_o: { json: boolean }): Promise<Row[]> {
  const seeds = list('BENCH_PARITY_SEEDS', '0,1,2').map(Number);
  const sides = list('BENCH_PARITY_SIDES', 'cellab,torch');
  const first = recipe(seeds[0]);
  const epochs = first.config.train.epochs;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-parity-'));
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-parity-runs-'));
  process.stderr.write(`  load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; seeds ${seeds.join(', ')}; ${epochs} epochs; data exported to ${dir}\n`);
  try {
    await initEngine({ log: null });
    const data = await exportData(first, dir);
    process.stderr.write(`  split: ${JSON.stringify(data.sizes)}\n`);
    const results: Record<string, SeedResult[]> = { cellab: [], torch: [] };
    for (const seed of seeds) {
      if (sides.includes('cellab')) results.cellab.push(await cellabRun(recipe(seed), store));
      if (sides.includes('torch')) results.torch.push(await torchRun(dir, seed, epochs));
      for (const side of sides) {
        const r = results[side].at(-1)!;
        process.stderr.write(`  ${side} seed ${seed}: test accuracy ${r.accuracy.toFixed(4)}, ACA ${r.average_class_accuracy.toFixed(4)} (best epoch ${r.best_epoch}, ${r.seconds?.toFixed(0)} s)\n`);
      }
    }
    const row: Row = { bench: 'parity', net: 'resnet18', mode: 'train', threads: 1, seeds, epochs, n: data.n };
    for (const side of sides) Object.assign(row, summary(side, results[side]));
    if (results.cellab.length && results.torch.length) {
      const gap = mean(results.cellab.map((r) => r.average_class_accuracy)) - mean(results.torch.map((r) => r.average_class_accuracy));
      const tolerance = Math.max(std(results.torch.map((r) => r.average_class_accuracy)), 0.01);
      Object.assign(row, { aca_gap: r4(gap), aca_tolerance: r4(tolerance), parity: Math.abs(gap) <= tolerance });
      process.stderr.write(`  ACA cellab ${row.cellab_aca_mean} +- ${row.cellab_aca_std}, PyTorch ${row.torch_aca_mean} +- ${row.torch_aca_std}: ` +
        `gap ${row.aca_gap} ${row.parity ? 'within' : 'OUTSIDE'} the tolerance ${row.aca_tolerance} (max of PyTorch's std and 1 point)\n`);
    }
    return [row];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(store, { recursive: true, force: true });
  }
}
