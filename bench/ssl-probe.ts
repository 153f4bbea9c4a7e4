// Does self-supervised pretraining learn anything? The standard check: the
// linear-probe and k-NN accuracy of a backbone's frozen embeddings on the
// synthetic HEp-2 patterns, for a random-init backbone vs the same backbone
// after BYOL and after SimSiam (no labels seen in pretraining). An accuracy
// measurement, not a speed one: not a *.bench.ts, run it on its own.
//
//   node --import tsx bench/ssl-probe.ts [--backbone small-cnn] [--size 32] [--epochs 20] [--lr 0.003] [--seed 0]
//     [--methods random,byol,simsiam] [--simsiam-optimizer adamw|sgd] [--warmup 1] [--set key=value ...] [--json]
//
// Prints train/ssl_loss, train/embedding_std and train/effective_rank per epoch
// (stderr), then one row per method: {method, backbone, size, epochs, seconds,
// ssl_loss, embedding_std, effective_rank, top_pc_share, val/test knn_accuracy,
// val/test linear_probe_accuracy} (effective_rank / top_pc_share: of the test
// embeddings). Measured (--backbone resnet18, 32x32, batch 64, seeds 0/1/2),
// test linear probe (k-NN): random init 0.737/0.738/0.672 (0.625/0.638/0.511);
// BYOL 20 epochs 0.771/0.748/0.783 (0.722/0.707/0.734), 60 epochs seed 0 0.828
// (0.801); SimSiam 20 epochs 0.635/0.743/0.678 (0.610/0.692/0.649), 60 epochs
// 0.689/0.862/0.815 (0.674/0.809/0.789); SimSiam with the study file's simsiam
// profile (--epochs 60 --warmup 5 --set train.ssl.predictorLrScale=5)
// 0.781/0.883/0.802 (0.764/0.853/0.785). Effective rank of the test embeddings: random 6-10,
// BYOL 2-4, SimSiam 1.2-1.9 (1.3-1.8 with the profile). Not a test: on a set small
// enough for seconds (160 training cells), 12 epochs of either method still
// leave the probe below random init (0.66 -> 0.5-0.6).
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type * as tf from '@tensorflow/tfjs';
import type { BatchSource } from '../src/data/batches';
import { initEngine } from '../src/engine/backend';
import { loadExperimentFile, parseSet } from '../src/experiment/config';
import { loadTrialData } from '../src/experiment/trial';
import { probeBackbone } from '../src/experiment/ssl-eval';
import { buildModel } from '../src/models/index';
import { extractFeatures, fitSsl } from '../src/train/index';
import { pca } from '../src/eval/index';

/**
 * Effective rank of the test embeddings: exp of the entropy of the PCA variance shares (d for a
 * spread that fills every direction equally, 1 when it lies along one), and the first axis' share.
 * SimSiam's dimensional collapse shows here while train/embedding_std (on the projection) does not.
 */
async function spread(net: tf.LayersModel, source: BatchSource, layer: string): Promise<{ effective_rank: number; top_pc_share: number }> {
  const f = await extractFeatures(net, source, { layer });
  const rows = Array.from({ length: f.n }, (_, i) => Array.from(f.features.subarray(i * f.dim, (i + 1) * f.dim)));
  const shares = pca(rows, Math.min(f.n, f.dim)).explainedVarianceRatio;
  const entropy = -shares.reduce((h, p) => (p > 0 ? h + p * Math.log(p) : h), 0);
  return { effective_rank: Math.exp(entropy), top_pc_share: shares[0] };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    backbone: { type: 'string', default: 'small-cnn' }, size: { type: 'string', default: '32' }, epochs: { type: 'string', default: '20' },
    lr: { type: 'string', default: '0.003' }, batch: { type: 'string', default: '64' }, seed: { type: 'string', default: '0' },
    'simsiam-optimizer': { type: 'string', default: 'adamw' }, 'simsiam-lr': { type: 'string' }, 'simsiam-wd': { type: 'string' },
    warmup: { type: 'string', default: '1' }, 'eval-every': { type: 'string', default: '0' }, views: { type: 'string' },
    methods: { type: 'string', default: 'random,byol,simsiam' }, set: { type: 'string', multiple: true, default: [] }, json: { type: 'boolean', default: false },
  } });
  await initEngine({ log: (l) => process.stderr.write(l + '\n') });
  const file = path.join(__dirname, '..', 'experiments', 'histology-query.yaml');
  const rows: Record<string, unknown>[] = [];
  for (const method of values.methods!.split(',')) {
    const ssl = method === 'random' ? 'byol' : method;
    const batch = Number(values.batch);
    // Both: the study's AdamW at --lr. --simsiam-optimizer sgd: SimSiam's paper recipe (momentum 0.9,
    // lr 0.05 x batch / 256, weight decay 1e-4), which barely moves the loss in 200 steps here.
    const sgd = values['simsiam-optimizer'] === 'sgd';
    const wd = values['simsiam-wd'] ?? (sgd ? '0.0001' : undefined);
    const recipe = ssl === 'simsiam'
      ? { 'train.optimizer': values['simsiam-optimizer'], 'train.lr': Number(values['simsiam-lr'] ?? (sgd ? 0.05 * batch / 256 : values.lr)),
        ...(wd !== undefined ? { 'train.weightDecay': Number(wd) } : {}) }
      : { 'train.lr': Number(values.lr) };
    const { config } = loadExperimentFile(file, { profile: '', set: {
      'model.backbone': values.backbone, 'dataset.image.size': Number(values.size), 'train.method': ssl, 'train.epochs': Number(values.epochs),
      'train.ssl.evalEvery': Number(values['eval-every']), 'train.batchSize': batch, 'train.seed': Number(values.seed), 'train.schedule': { kind: 'cosine', warmupEpochs: Number(values.warmup) }, ...recipe,
      ...(values.views ? { 'train.ssl.views': JSON.parse(values.views) } : {}),
      ...Object.fromEntries(values.set!.map(parseSet)),
    } });
    const data = await loadTrialData(config, { progress: 'off', log: (l) => process.stderr.write(l + '\n') });
    const plain = data.train.withOptions({ ...data.train.options, transform: undefined });
    const net = buildModel(config.model, { inputShape: data.train.shape, classes: data.classes.length, seed: config.train.seed }).model;
    const t0 = Date.now();
    let last: Record<string, number> = {};
    if (method !== 'random') {
      const every = Number(values['eval-every']);
      const evaluate = every > 0 ? async (epoch: number) => {
        if (epoch % every === 0) {
          const m = (await probeBackbone(net, { train: plain, val: data.val, test: data.test }, { layer: config.model.featureLayer, knn: config.train.ssl.knn, train: config.train })).metrics;
          process.stderr.write(`  ${method} epoch ${epoch}: ${JSON.stringify(m)}\n`);
        }
        return {};
      } : undefined;
      const r = await fitSsl(net, plain, config.train, {
        onEpochEnd: (row) => { process.stderr.write(`  ${method} epoch ${row.epoch}: loss ${row['train/ssl_loss'].toFixed(4)} std ${row['train/embedding_std'].toFixed(3)} rank ${row['train/effective_rank'].toFixed(2)}\n`); },
      }, { featureLayer: config.model.featureLayer, evaluate });
      last = r.history[r.history.length - 1];
      if (r.outcome !== 'completed') process.stderr.write(`  ${method}: ${r.outcome}: ${r.reason}\n`);
    }
    const seconds = (Date.now() - t0) / 1000;
    const probe = await probeBackbone(net, { train: plain, val: data.val, test: data.test }, { layer: config.model.featureLayer, knn: config.train.ssl.knn, train: config.train });
    const row = { method, backbone: values.backbone, size: Number(values.size), epochs: method === 'random' ? 0 : Number(values.epochs), seconds,
      ssl_loss: last['train/ssl_loss'], embedding_std: last['train/embedding_std'], ...(await spread(net, data.test, config.model.featureLayer)), ...probe.metrics };
    process.stderr.write(`${JSON.stringify(row)}\n`);
    rows.push(row);
    net.dispose();
    data.close();
  }
  if (values.json) process.stdout.write(JSON.stringify({ results: rows }) + '\n');
  else console.table(rows);
}

main().catch((err) => { process.stderr.write(`ssl-probe failed: ${err instanceof Error ? err.stack : String(err)}\n`); process.exitCode = 1; });
