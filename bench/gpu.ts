// The body of bench/gpu.sh: training throughput of the published resnet18 and
// convnext-tiny (width 1, 224x224x3, batch 16, Adam, the real training loop)
// on a GPU: cellab on webgpu (Dawn on the GPU's Vulkan driver), cellab on
// tensorflow-gpu when @tensorflow/tfjs-node-gpu loads, and PyTorch on CUDA
// (torchvision's own models) when torch.cuda.is_available(). Rows as
// `npm run bench -- --json` prints them: the last stdout line is
// {"results": [{bench: 'gpu', net, mode: 'train', size, batch, backend,
// device, cellab_img_s, torch_img_s, ratio}]} (torch keys only with CUDA).
//
// Unattended within 8 minutes (BENCH_GPU_BUDGET_S, default 420 s for the
// measurements; anything that would not fit is skipped, said so); installs
// nothing. Exits 1 with one line when there is no GPU adapter (none, or only
// a software one such as lavapipe), 2 when nothing could be measured.
// Environment: BENCH_GPU_SIZE (224), BENCH_GPU_BATCH (16), BENCH_GPU_STEPS
// (timed steps per measurement, 5), BENCH_PYTHON (python3, the one with CUDA torch),
// BENCH_GPU_ALLOW_SOFTWARE=1 (run on lavapipe anyway: checks the script, measures nothing useful).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { probeAdapter } from '../src/engine/webgpu';
import { Worker, type Row, type Timing } from './worker';

const root = path.join(__dirname, '..');
const started = Date.now();
const budget = Number(process.env.BENCH_GPU_BUDGET_S ?? 420);
const left = () => budget - (Date.now() - started) / 1000;
const SIZE = process.env.BENCH_GPU_SIZE ?? '224';
const BATCH = process.env.BENCH_GPU_BATCH ?? '16';
const STEPS = Number(process.env.BENCH_GPU_STEPS ?? 5);
const NETS = [{ worker: 'resnet18_w1', name: 'resnet18' }, { worker: 'convnext_tiny', name: 'convnext_tiny' }];
const HELP = 'install the GPU driver\'s Vulkan ICD and, in a container, run with --gpus all and NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics (environment.md, "Running on a GPU machine")';

const say = (line: string) => process.stderr.write(`gpu.sh: ${line}\n`);

function fail(line: string, code: number): never {
  say(line);
  process.exit(code);
}

/** Whether @tensorflow/tfjs-node-gpu loads here (a child Node: a broken CUDA setup may abort the process). */
function tensorflowGpuLoads(): { ok: boolean; why: string } {
  const r = spawnSync(process.execPath, ['-e', "require('@tensorflow/tfjs-node-gpu')"], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  if (r.status === 0) return { ok: true, why: '' };
  const first = (r.stderr || r.error?.message || `exit ${r.status}`).split('\n').find((l) => /Error|Cannot find/.test(l)) ?? 'it did not load';
  return { ok: false, why: first.trim().slice(0, 200) };
}

/** PyTorch with CUDA under BENCH_PYTHON (default python3), with torchvision for the reference nets. */
function torchCuda(): { python: string; ok: boolean; why: string; device?: string } {
  const python = process.env.BENCH_PYTHON ?? 'python3';
  const code = 'import json, torch, torchvision\nok = torch.cuda.is_available()\n'
    + 'print(json.dumps({"cuda": ok, "device": torch.cuda.get_device_name(0) if ok else None, "torch": torch.__version__}))';
  const r = spawnSync(python, ['-c', code], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) return { python, ok: false, why: `${python} has no torch + torchvision (${(r.stderr || r.error?.message || '').trim().split('\n').pop()})` };
  const info = JSON.parse(r.stdout.trim().split('\n').pop()!) as { cuda: boolean; device: string | null; torch: string };
  return info.cuda ? { python, ok: true, why: '', device: info.device ?? 'cuda' } : { python, ok: false, why: `torch ${info.torch} under ${python}: torch.cuda.is_available() is false` };
}

/** One measurement (warm-up, then STEPS timed steps), or the reason it was skipped. */
async function measure(w: Worker, net: string, estimate: number): Promise<Timing | string> {
  if (left() < estimate) return `skipped: ${Math.round(left())} s of the time budget left, ~${Math.round(estimate)} s needed`;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => { timer = setTimeout(() => { w.kill(); resolve(`stopped at the time budget (${budget} s)`); }, Math.max(1, left()) * 1000); });
  try {
    return await Promise.race([w.run({ net, mode: 'train', steps: STEPS, warmup: 2 }), timeout]);
  } catch (err) {
    return `failed: ${(err as Error).message.split('\n')[0].slice(0, 300)}`;
  } finally {
    clearTimeout(timer);
  }
}

async function main(): Promise<void> {
  const probe = probeAdapter({ timeoutMs: 20_000 });
  if (!probe.ok) fail(`no GPU adapter: ${probe.reason}; ${HELP}`, 1);
  // BENCH_GPU_ALLOW_SOFTWARE=1 runs the script on a software adapter: to check the script itself, not to measure anything.
  if (probe.adapter.software && process.env.BENCH_GPU_ALLOW_SOFTWARE !== '1') fail(`no GPU adapter: WebGPU's only adapter is ${probe.adapter.description}, the CPU emulating a GPU; ${HELP}`, 1);
  say(`adapter ${probe.adapter.description}; images ${SIZE}x${SIZE}x3, batch ${BATCH}, ${STEPS} timed steps after 2 warm-up steps; budget ${budget} s`);
  const cellab: { backend: string; worker: Worker }[] = [];
  const args = ['--import', 'tsx', 'bench/train-cellab.ts', '1', BATCH, SIZE];
  cellab.push({ backend: 'webgpu', worker: new Worker('cellab webgpu', process.execPath, args, { BENCH_BACKEND: 'webgpu' }) });
  const tfGpu = tensorflowGpuLoads();
  if (tfGpu.ok) cellab.push({ backend: 'tensorflow-gpu', worker: new Worker('cellab tensorflow-gpu', process.execPath, args, { BENCH_BACKEND: 'tensorflow-gpu' }) });
  else say(`tensorflow-gpu not measured: @tensorflow/tfjs-node-gpu does not load (${tfGpu.why}); environment.md says how to install it`);
  const torch = torchCuda();
  const torchWorker = torch.ok ? new Worker(`torch cuda (${torch.device})`, torch.python, ['bench/train_torch.py', '1', BATCH, SIZE], { BENCH_TORCH_DEVICE: 'cuda' }) : undefined;
  if (!torch.ok) say(`PyTorch CUDA not measured: ${torch.why}`);
  else say(`PyTorch on ${torch.device}`);
  const rows: Row[] = [];
  // Seconds a measurement took, to skip what no longer fits the budget.
  let estimate = 0;
  try {
    for (const net of NETS) {
      let torchImgS: number | undefined;
      if (torchWorker) {
        const t = await measure(torchWorker, net.worker, estimate);
        if (typeof t === 'string') say(`${net.name} torch: ${t}`);
        else { torchImgS = t.img_s; estimate = Math.max(estimate, t.seconds); }
      }
      for (const c of cellab) {
        const t0 = Date.now();
        const t = await measure(c.worker, net.worker, estimate);
        if (typeof t === 'string') { say(`${net.name} ${c.backend}: ${t}`); continue; }
        estimate = Math.max(estimate, (Date.now() - t0) / 1000);
        const row: Row = { bench: 'gpu', net: net.name, mode: 'train', size: Number(SIZE), batch: Number(BATCH), backend: t.backend, device: t.device, cellab_img_s: +t.img_s.toFixed(2) };
        if (torchImgS !== undefined) Object.assign(row, { torch_img_s: +torchImgS.toFixed(2), ratio: +(t.img_s / torchImgS).toFixed(3) });
        rows.push(row);
        say(JSON.stringify(row));
      }
    }
  } finally {
    for (const c of cellab) c.worker.close();
    torchWorker?.close();
  }
  process.stdout.write(JSON.stringify({ results: rows }) + '\n');
  if (rows.length === 0) fail('nothing could be measured (reasons above)', 2);
}

main().catch((err) => fail(`failed: ${err instanceof Error ? err.message : String(err)}`, 2));
