// What a trial logs so a run reads well in MLflow, beside its metrics: a PNG next
// to each SVG plot (MLflow's artifact viewer previews images), the markdown note,
// system metrics while it trains, the anomaly filter's dropped images as a picture.
import type { RunLogger } from '../tracking/index';
import { startSystemMetrics, type SystemMetricsSampler } from '../tracking/index';
import { contactSheetPng, svgToPng } from '../plots/index';
import { anomalyGallery } from '../data/gallery';
import type { ClassificationEvaluation } from '../eval/index';
import type { TrainResult } from '../train/index';
import type { ExperimentConfig, TrackingConfig } from './schema';
import type { TrialData } from './trial';
import { trialNote } from './note';

/** `plots/x.svg` and `plots/x.png` from one rendering. */
export async function logSvgAndPng(run: RunLogger, base: string, svg: string, title: string): Promise<void> {
  await run.logArtifact(`${base}.svg`, svg);
  await run.logArtifact(`${base}.png`, await svgToPng(svg, title, 2));
}

/** Seconds between samples of `tracking.systemMetrics` (undefined: off). */
export function systemMetricsInterval(t: TrackingConfig): number | undefined {
  const s = t.systemMetrics;
  if (!s) return undefined;
  return s === true ? 10 : s.interval;
}

export function startTrialSystemMetrics(config: ExperimentConfig, run: RunLogger): SystemMetricsSampler | undefined {
  const interval = systemMetricsInterval(config.tracking);
  if (interval === undefined) return undefined;
  return startSystemMetrics({ intervalMs: interval * 1000, log: (m, step) => run.logMetrics(m, step) });
}

export async function logAnomalyGallery(run: RunLogger, data: TrialData, config: ExperimentConfig): Promise<void> {
  if (!data.anomalies?.dropped.length) return;
  const g = await anomalyGallery(data.anomalies, { image: { channels: config.dataset.image.channels, resize: config.dataset.image.resize } });
  await run.logArtifact('plots/anomalies.png', await contactSheetPng(g));
}

export function noteForTrial(o: {
  config: ExperimentConfig; data: TrialData; result: TrainResult; metrics: Record<string, number>; evaluation?: ClassificationEvaluation;
  params?: Record<string, unknown>; fold?: number;
  /** The trial's outcome when it differs from training's (a search pruned it). */
  outcome?: string; reason?: string;
}): string {
  const { config, data, result } = o;
  const best = result.history.find((h) => h.epoch === result.bestEpoch);
  return trialNote({
    experiment: config.name, description: config.description, backbone: config.model.backbone, lr: config.train.lr, params: o.params, fold: o.fold,
    dataset: {
      format: config.dataset.format, root: config.dataset.root, images: data.dataset.items.length, classes: data.classes,
      split: { train: data.split.train.length, val: data.split.val.length, test: data.split.test.length },
      skipped: data.skipped.length, anomalies: data.anomalies?.dropped.length,
    },
    split: config.eval.split, metrics: o.metrics, perClass: o.evaluation?.perClass, outcome: o.outcome ?? result.outcome, reason: o.outcome ? o.reason : result.reason,
    bestEpoch: result.bestEpoch, epochs: result.history.length, selection: best?.['val/accuracy'],
  });
}
