// cellab side of bench/train.bench.ts, bench/published.bench.ts,
// bench/webgpu.bench.ts and bench/gpu.sh: the registered backbones (small-cnn
// at width 1 = the tiny CNN, resnet18 at width 0.25, gray input; the published
// resnet18 / convnext-tiny at width 1 on RGB input as `resnet18_w1` /
// `convnext_tiny`) on wasm (or BENCH_BACKEND: webgpu, tensorflow-gpu, ...),
// trained with the real training loop (`fit`: batches from an in-memory
// source, Adam). Same line protocol as bench/train_torch.py:
//   stdin  {"net": "tiny"|"resnet18", "mode": "train"|"forward"|"features"|"forward-layers", "steps": n, "warmup": k}
// forward and features run as evaluation does (src/models/inference.ts: batch norms folded into
// the convolutions, folded once per timed block and counted in it); forward-layers is
// model.predict (tfjs-layers, unfolded), the forward pass before folding.
//   stdout {"img_s": ..., "seconds": ..., "steps": n, "threads": t, "backend": b, "device": d}
// Usage: [BENCH_BACKEND=webgpu] [BENCH_NET=resnet18] node --import tsx bench/train-cellab.ts THREADS [BATCH] [SIZE]
import * as readline from 'node:readline';
import * as tf from '@tensorflow/tfjs';
import { initEngine, deviceTag } from '../src/engine';
import { xnnpackThreadsFor } from '../src/experiment/engine-threads';
import { parseBackendName } from '../src/engine/backend';
import { createBackbone, inferenceFunction } from '../src/models';
import { fit } from '../src/train/loop';
import { trainSchema, type TrainConfig } from '../src/train';
import { validate } from '../src/engine/schema';
import { InMemoryBatchSource } from '../src/data/batches';

const THREADS = Number(process.argv[2] ?? 1);
const BATCH = Number(process.argv[3] ?? 32);
const SIZE = Number(process.argv[4] ?? 64);
const CLASSES = 6;
const BACKBONE: Record<string, { name: string; width: number; channels: number }> = {
  tiny: { name: 'small-cnn', width: 1, channels: 1 },
  resnet18: { name: 'resnet18', width: 0.25, channels: 1 },
  resnet18_w1: { name: 'resnet18', width: 1, channels: 3 },
  convnext_tiny: { name: 'convnext-tiny', width: 1, channels: 3 },
};

interface Net { model: tf.LayersModel; features: tf.LayersModel; x: tf.Tensor4D }
const nets = new Map<string, Net>();

function net(name: string): Net {
  let n = nets.get(name);
  if (!n) {
    const spec = BACKBONE[name];
    if (!spec) throw new Error(`unknown net '${name}': ${Object.keys(BACKBONE).join(', ')}`);
    const model = createBackbone(spec.name, { inputShape: [SIZE, SIZE, spec.channels], classes: CLASSES, width: spec.width, seed: 1 });
    const features = tf.model({ inputs: model.inputs, outputs: model.getLayer('features').output });
    n = { model, features, x: tf.randomNormal([BATCH, SIZE, SIZE, spec.channels], 0, 1, 'float32', 2) as tf.Tensor4D };
    nets.set(name, n);
  }
  return n;
}

function trainConfig(): TrainConfig {
  const problems: string[] = [];
  const cfg = validate(trainSchema, { epochs: 1, lr: 1e-3, batchSize: BATCH, optimizer: 'adam', restoreBest: false }, 'train', problems) as TrainConfig;
  if (problems.length) throw new Error(`bench train config: ${problems.join('; ')}`);
  return cfg;
}

/** `steps` batches of random images through fit() (one epoch); seconds spent in fit. */
async function train(name: string, steps: number): Promise<number> {
  const { model } = net(name);
  const count = steps * BATCH;
  const channels = BACKBONE[name].channels;
  const per = SIZE * SIZE * channels;
  const data = new Float32Array(count * per);
  for (let i = 0; i < data.length; i++) data[i] = Math.random();
  const labels = Int32Array.from({ length: count }, (_, i) => i % CLASSES);
  const source = new InMemoryBatchSource(data, [SIZE, SIZE, channels], labels, Array.from(labels, String), CLASSES);
  const cfg = trainConfig();
  const t0 = performance.now();
  await fit(model, source, undefined, cfg);
  return (performance.now() - t0) / 1000;
}

/** `steps` predictions of one batch (logits, or the pooled features), each read back; seconds. */
async function infer(name: string, mode: 'forward' | 'features' | 'forward-layers', steps: number): Promise<number> {
  const n = net(name);
  const t0 = performance.now();
  const f = mode === 'forward-layers' ? n.model : inferenceFunction(mode === 'forward' ? n.model : n.features);
  for (let i = 0; i < steps; i++) {
    const out = f.predict(n.x) as tf.Tensor;
    await out.data();   // asynchronous: GPU backends cannot read synchronously (src/engine/reads.ts)
    out.dispose();
  }
  if (!(f instanceof tf.LayersModel)) f.dispose();
  return (performance.now() - t0) / 1000;
}

async function run(name: string, mode: string, steps: number): Promise<number> {
  if (mode === 'train') return train(name, steps);
  if (mode === 'forward' || mode === 'features' || mode === 'forward-layers') return infer(name, mode, steps);
  throw new Error(`unknown mode '${mode}': use train, forward, features or forward-layers`);
}

async function main(): Promise<void> {
  // BENCH_NET: start the engine as run-experiment does for that net's backbone (XNNPACK's thread share).
  const forNet = process.env.BENCH_NET ? BACKBONE[process.env.BENCH_NET]?.name : undefined;
  const info = await initEngine({ backend: parseBackendName(process.env.BENCH_BACKEND ?? 'wasm', 'BENCH_BACKEND'), threads: THREADS, log: null,
    xnnpackThreads: forNet ? xnnpackThreadsFor(forNet) : undefined });
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    const cmd = JSON.parse(line) as { net: string; mode: string; steps: number; warmup?: number };
    if (cmd.warmup) await run(cmd.net, cmd.mode, cmd.warmup);
    const seconds = await run(cmd.net, cmd.mode, cmd.steps);
    process.stdout.write(JSON.stringify({ img_s: (cmd.steps * BATCH) / seconds, seconds, steps: cmd.steps, threads: info.threads, backend: info.backend, device: deviceTag(info) }) + '\n');
  }
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`train-cellab failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
