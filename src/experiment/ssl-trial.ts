// The self-supervised branch of a trial (train.method byol | simsiam):
// pretrain the backbone on the training images (labels unread), logging
// train/ssl_loss, train/embedding_std (and train/ema_tau) per epoch; judge it
// with k-NN and a linear probe on validation (every train.ssl.evalEvery
// epochs and after the last) and on test at the end; log the backbone as the
// run's `checkpoint/` (usable as model.pretrained: runs:/<id>) and the
// embeddings of every image (embeddings/embeddings.npy + embeddings/index.csv).
// The run's classifier, whose predictions.csv and metrics the trial then
// reports, is the linear probe.
import type * as tf from '@tensorflow/tfjs';
import type { PreparedBatchSource, BatchSource } from '../data/batches';
import type { DatasetItem } from '../data/types';
import { formatCsv } from '../data/csv';
import { extractFeatures, fitSsl, sslStepsPerEpoch, type TrainResult } from '../train/index';
import { encodeNpy } from '../eval/index';
import type { RunLogger } from '../tracking/index';
import type { ExperimentConfig } from './schema';
import { createProgress, type ProgressMode } from './progress';
import { probeBackbone, type ProbeResult } from './ssl-eval';
import type { TrialData } from './trial';

/** embeddings.npy ([n, dim] float32, rows in index order) and index.csv (id, path, label, split) of every image. */
export async function embeddingTables(model: tf.LayersModel, splits: [string, BatchSource, DatasetItem[]][], layer: string): Promise<{ npy: Uint8Array; csv: string; n: number; dim: number }> {
  const parts = [];
  for (const [name, s, items] of splits) if (s.size > 0) parts.push({ name, f: await extractFeatures(model, s, { layer }), items: new Map(items.map((i) => [i.id, i])) });
  const dim = parts[0]?.f.dim ?? 0, n = parts.reduce((a, p) => a + p.f.n, 0);
  const all = new Float32Array(n * dim);
  const lines: string[][] = [];
  let row = 0;
  for (const { name, f, items } of parts) {
    all.set(f.features, row * dim);
    row += f.n;
    for (const id of f.ids) {
      const it = items.get(id);
      lines.push([id, it?.path ?? '', it?.label ?? '', name]);
    }
  }
  return { npy: encodeNpy(all, [n, dim]), csv: formatCsv(['id', 'path', 'label', 'split'], lines), n, dim };
}

export async function pretrainSelfSupervised(o: {
  config: ExperimentConfig; net: tf.LayersModel; data: TrialData; run: RunLogger; checkpointDir?: string;
  progress?: ProgressMode; log: (line: string) => void;
}): Promise<{ result: TrainResult; score: (s: PreparedBatchSource) => Promise<Float32Array> }> {
  const { config, net, data, run, log } = o;
  const cfg = config.train, layer = config.model.featureLayer;
  // The views replace dataset.augment: pretrain on the plain (normalised) training images.
  const train = data.train.withOptions({ ...data.train.options, transform: undefined });
  if (config.dataset.augment) log(`cellab: dataset.augment is not used by train.method ${cfg.method}: its two views come from train.ssl.views`);
  const perEpoch = sslStepsPerEpoch(train.size, cfg.batchSize);
  const bar = createProgress(`pretrain (${cfg.method})`, cfg.epochs * perEpoch, { mode: o.progress, unit: 'steps' });
  let final: ProbeResult | undefined;
  let lastKnn: number | undefined;
  const result = await fitSsl(net, train, cfg, {
    onBatchEnd: (b) => bar.update((b.epoch - 1) * perEpoch + b.batch, { epoch: `${b.epoch}/${cfg.epochs}`, loss: b.loss, 'val knn': lastKnn, 'img/s': b.imagesPerSecond }),
    onEpochEnd: (row) => { const { epoch, ...metrics } = row; run.logMetrics(metrics, epoch); },
  }, {
    featureLayer: layer, checkpointDir: o.checkpointDir, unfreezeAfter: config.model.unfreezeAfter, log,
    checkpointMeta: { backbone: config.model.backbone, classes: data.classes },
    evaluate: async (epoch) => {
      const last = epoch === cfg.epochs;
      const p = await probeBackbone(net, { train, val: data.val, test: last ? data.test : undefined }, { layer, knn: cfg.ssl.knn, train: cfg });
      if (last) final = p;
      const val = Object.fromEntries(Object.entries(p.metrics).filter(([k]) => k.startsWith('val/')));
      lastKnn = val['val/knn_accuracy'];
      // The run's classifier is the linear probe: its validation numbers are what sweeps select by.
      const chosen = p.head.path[p.head.bestIndex];
      if (Number.isFinite(val['val/linear_probe_accuracy'])) Object.assign(val, { 'val/accuracy': val['val/linear_probe_accuracy'] });
      if (Number.isFinite(chosen.valLoss)) Object.assign(val, { 'val/loss': chosen.valLoss });
      return val;
    },
  });
  bar.finish({ epochs: result.history.length, outcome: result.outcome, 'embedding std': result.history.at(-1)?.['train/embedding_std'], 'effective rank': result.history.at(-1)?.['train/effective_rank'] });
  if (result.outcome !== 'completed' || !final) return { result, score: async () => new Float32Array(0) };
  const probe = final;
  const testMetrics = Object.fromEntries(Object.entries(probe.metrics).filter(([k]) => k.startsWith('test/')));
  run.logMetrics({ ...testMetrics, 'linear/best_C': probe.head.C }, result.history.length);
  if (result.checkpoint && o.checkpointDir) await run.logArtifactFile(o.checkpointDir, 'checkpoint');
  const t = await embeddingTables(net, [['train', train, data.split.train], ['val', data.val, data.split.val], ['test', data.test, data.split.test]], layer);
  await run.logArtifact('embeddings/embeddings.npy', t.npy);
  await run.logArtifact('embeddings/index.csv', t.csv);
  log(`cellab: ${cfg.method}: linear probe ${fmt(probe.metrics['test/linear_probe_accuracy'])}, k-NN ${fmt(probe.metrics['test/knn_accuracy'])} (test); embeddings of ${t.n} images (${t.dim} dims) logged`);
  return { result, score: (s) => probe.scores(s) };
}

function fmt(v: number | undefined): string {
  return v === undefined ? 'n/a' : v.toFixed(4);
}
