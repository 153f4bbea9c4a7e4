// Whole runs, end to end, in wall seconds: what a researcher waits for.
//   - quickstart: `run-experiment experiments/quickstart.yaml` (one run);
//   - hep2-smoke: `run-experiment experiments/hep2-patterns.yaml --profile smoke` (a sweep of
//     two backbones, cellab's default --parallel: one single-threaded worker per core);
// each through the real CLI (bin/run-experiment.js, compiled JS) into a throwaway file store,
// with a cold data cache (a fresh project folder as the working directory), next to the same
// recipe in PyTorch (bench/whole_run_torch.py, Debian's /usr/bin/python3): the same PNG files
// and masks decoded from disk, the same grey / mask / pad-resize, the recipe's
// dataset.normalize (the quickstart's is false: pixels in 0..1), the same split (cellab's,
// handed over as file lists), net (with cellab's initialisation), epochs, batch,
// optimizer, schedule, class weights, label smoothing, augmentation, per-epoch validation,
// best epoch kept, test evaluation (with the recipe's TTA), predictions, metrics and the
// checkpoint written to files. PyTorch gets cellab's thread count (the sweep: the same
// workers x threads, one process per trial).
// Row: {bench: 'whole-run', run, trials, epochs, workers, threads, cellab_s, torch_s, ratio
// (cellab_s / torch_s), cellab_includes, torch_includes, excluded, accuracy: {cellab, torch}} (a sweep: the
// trial best on validation).
//
// Untimed: generating the synthetic set and computing the split. Environment:
// BENCH_WHOLE_EPOCHS overrides every run's epochs (a quick check); BENCH_WHOLE_RUNS picks
// runs (comma-separated: quickstart, hep2-smoke).
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadExperimentFile, type ResolvedExperiment } from '../src/experiment/config';
import { expandTrials } from '../src/experiment/trials';
import { prepareData } from '../src/experiment/trial';

const ROOT = path.join(__dirname, '..');
const CLI = path.join(ROOT, 'bin', 'run-experiment.js');
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const TORCH = path.join(__dirname, 'whole_run_torch.py');

interface TorchResult { seconds: number; accuracy: number; val_accuracy: number }
interface Case { run: string; file: string; profile?: string }
const CASES: Case[] = [
  { run: 'quickstart', file: 'experiments/quickstart.yaml' },
  { run: 'hep2-smoke', file: 'experiments/hep2-patterns.yaml', profile: 'smoke' },
];

/** One PyTorch recipe per trial, from cellab's resolved trial config and its split. */
export async function recipes(resolved: ResolvedExperiment, threads: number, out: string): Promise<Record<string, unknown>[]> {
  const list = [];
  for (const t of expandTrials(resolved.config, ROOT)) {
    const c = t.config;
    const { dataset, split } = await prepareData(c);
    const classes = dataset.classes;
    const index = (label: string) => {
      const i = classes.findIndex((k) => k.toLowerCase() === label.toLowerCase());
      if (i < 0) throw new Error(`whole-run bench: label ${label} is not a class (${classes.join(', ')})`);
      return i;
    };
    const items = Object.fromEntries((['train', 'val', 'test'] as const).map((s) => [s, split[s].map((i) => [i.path, i.maskPath ?? null, index(i.label)])]));
    const counts = classes.map((_, k) => split.train.filter((i) => index(i.label) === k).length);
    if (c.dataset.classWeights && c.dataset.classWeights !== 'inverse' && c.dataset.classWeights !== 'none') throw new Error(`whole-run bench: dataset.classWeights ${JSON.stringify(c.dataset.classWeights)}: the PyTorch side has inverse only`);
    if (c.dataset.normalize === 'image') throw new Error('whole-run bench: dataset.normalize image: the PyTorch side has false, train and {mean, std}');
    const a = c.dataset.augment;
    list.push({
      threads, seed: c.train.seed, out: path.join(out, `trial-${t.index}`), classes, size: c.dataset.image.size, mask: !!c.dataset.image.mask, items,
      normalize: c.dataset.normalize,
      backbone: c.model.backbone, width: c.model.width, dropout: c.model.dropout ?? 0, epochs: c.train.epochs, batchSize: c.train.batchSize,
      optimizer: c.train.optimizer, lr: c.train.lr, weightDecay: c.train.weightDecay ?? (c.train.optimizer === 'adamw' ? 0.01 : 0), schedule: c.train.schedule,
      labelSmoothing: c.train.labelSmoothing ?? 0, tta: c.train.tta ?? 'none',
      classWeights: c.dataset.classWeights === 'inverse' ? counts.map((n) => split.train.length / (classes.length * n)) : null,
      augment: a ? { hflip: a.hflip, vflip: a.vflip, rotate90: a.rotate90, crop: a.crop, brightness: a.brightness, contrast: a.contrast, erasing: a.erasing } : null,
    });
  }
  return list;
}

function runTorch(recipe: string): Promise<TorchResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(PYTHON, [TORCH, recipe], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`${PYTHON} ${TORCH} ${recipe} exited ${code}: ${err.slice(-2000)}`))));
  });
}

export default async function wholeRunBench(o: { json: boolean }): Promise<Record<string, unknown>[]> {
  const cores = os.availableParallelism ? os.availableParallelism() : os.cpus().length;
  const epochs = process.env.BENCH_WHOLE_EPOCHS;
  const only = process.env.BENCH_WHOLE_RUNS?.split(',');
  const rows: Record<string, unknown>[] = [];
  for (const k of CASES.filter((c) => !only || only.includes(c.run))) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cellab-bench-whole-${k.run}-`));
    try {
      const set = epochs ? ['train.epochs=' + epochs] : [];
      const resolved = loadExperimentFile(path.join(ROOT, k.file), { set, profile: k.profile });
      const trials = expandTrials(resolved.config, ROOT).length;
      // cellab's defaults: one run uses every core; a sweep one single-threaded worker per core.
      const workers = trials > 1 ? Math.min(trials, cores) : 1;
      const threads = Math.max(1, Math.floor(cores / workers));
      const rs = await recipes(resolved, threads, path.join(dir, 'torch'));      // untimed: synthetic data, split
      const files = rs.map((r, i) => {
        const f = path.join(dir, `recipe-${i}.json`);
        fs.writeFileSync(f, JSON.stringify(r));
        return f;
      });
      // cellab: a fresh project folder as working directory, so its data cache starts empty.
      const project = path.join(dir, 'project');
      fs.mkdirSync(project);
      fs.writeFileSync(path.join(project, 'package.json'), '{"private": true}\n');
      const args = [CLI, path.join(ROOT, k.file), ...set.flatMap((s) => ['--set', s]), ...(k.profile ? ['--profile', k.profile] : []),
        '--tracking-uri', path.join(dir, 'mlruns'), '--json'];
      const env = { ...process.env, CELLAB_PROGRESS: '0' };
      delete (env as NodeJS.ProcessEnv).CELLAB_WASM_THREADS;
      delete (env as NodeJS.ProcessEnv).CELLAB_PROFILE;
      const t0 = performance.now();
      const r = spawnSync(process.execPath, args, { cwd: project, env, encoding: 'utf8', maxBuffer: 64 << 20 });
      const cellab = (performance.now() - t0) / 1000;
      if (r.status !== 0) throw new Error(`run-experiment ${k.file} exited ${r.status}: ${(r.stderr || r.stdout).slice(-2000)}`);
      const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
      const cellabAccuracy = summary.metrics?.accuracy ?? summary.best?.metrics?.accuracy;
      // PyTorch: the same lanes (workers processes, trials one after another in each).
      const t1 = performance.now();
      const results: TorchResult[] = [];
      let next = 0;
      await Promise.all(Array.from({ length: workers }, async () => {
        while (next < files.length) { const i = next++; results[i] = await runTorch(files[i]); }
      }));
      const torch = (performance.now() - t1) / 1000;
      const r1 = (v: number) => Math.round(v * 10) / 10, r3 = (v: number) => Math.round(v * 1000) / 1000;
      const row = {
        bench: 'whole-run', run: k.run, trials, epochs: resolved.config.train.epochs, workers, threads,
        cellab_s: r1(cellab), torch_s: r1(torch), ratio: Math.round((cellab / torch) * 100) / 100,
        cellab_includes: 'node start, config, data decode+mask+resize (cold cache), training with per-epoch validation, test evaluation, tracking store (params, metrics, checkpoint, predictions, plots)' +
          (trials > 1 ? ', sweep parent run, worker start-up, summary table, best-run error analysis' : ''),
        torch_includes: 'python start + torch import, PIL decode+mask+resize, training with per-epoch validation, test evaluation, checkpoint + predictions + metrics files' +
          (trials > 1 ? `, ${workers} processes at once (one per trial)` : ''),
        excluded: 'synthetic data generation and the split (computed once, both read the same files); PyTorch draws no plots and keeps no tracking store',
        accuracy: { cellab: cellabAccuracy !== undefined ? r3(cellabAccuracy) : null, torch: r3(results.reduce((b, x) => (x.val_accuracy > b.val_accuracy ? x : b)).accuracy) },
      };
      if (!o.json) console.log(`${k.run}: cellab ${row.cellab_s} s, PyTorch ${row.torch_s} s (ratio ${row.ratio})`);
      rows.push(row);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
}

if (require.main === module) wholeRunBench({ json: process.argv.includes('--json') }).then((rows) => console.log(JSON.stringify({ results: rows })));
