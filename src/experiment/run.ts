// Running an experiment file: the engine, the tracking store, then the trial.
import * as path from 'node:path';
import { initEngine, type EngineInfo } from '../engine/backend';
import { xnnpackThreadsFor } from './engine-threads';
import { openTracking, resolveExperimentName, resolveTrackingUri, findProjectRoot, type Tracking } from '../tracking/index';
import type { ResolvedExperiment } from './config';
import { loadTrialData, runTrial, type TrialResult } from './trial';
import type { ProgressMode } from './progress';
import { trialRunName } from './run-name';
import { afterBest } from './best-run';

export interface RunOptions {
  /** --tracking-uri */
  trackingUri?: string;
  progress?: ProgressMode;
  log?: (line: string) => void;
  cwd?: string;
}

/** The single-run summary printed by `run-experiment --json` (DESIGN.md conventions). */
export interface RunSummary {
  status: 'FINISHED' | 'FAILED' | 'KILLED';
  outcome: TrialResult['outcome'];
  run_id: string;
  experiment_id: string;
  backend: string;
  device: string;
  tracking_uri: string;
  metrics: Record<string, number>;
  reason?: string;
}

export interface ExperimentRun {
  summary: RunSummary;
  trial: TrialResult;
  engine: EngineInfo;
  tracking: Tracking;
}

/** Where a run's files are, for the "see your run" line. */
export function describeRunLocation(trackingUri: string, experimentId: string, runId: string, cwd: string): string {
  if (trackingUri.startsWith('file:')) {
    const store = new URL(trackingUri).pathname;
    const rel = path.relative(cwd, path.join(store, experimentId, runId)) || '.';
    return `${rel}  (browse: mlflow ui --backend-store-uri ${path.relative(cwd, store) || '.'}, or push it: cellab push --from ${path.relative(cwd, store) || '.'} --to http://SERVER)`;
  }
  return `${trackingUri.replace(/\/+$/, '')}/#/experiments/${experimentId}/runs/${runId}`;
}

export async function runExperiment(resolved: ResolvedExperiment, o: RunOptions = {}): Promise<ExperimentRun> {
  const cwd = o.cwd ?? process.cwd();
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const { config } = resolved;
  const projectRoot = findProjectRoot(resolved.file ? path.dirname(resolved.file) : cwd);
  const trackingUri = resolveTrackingUri({ cli: o.trackingUri, config: config.tracking.uri, projectRoot });
  const experimentName = resolveExperimentName({ config: config.tracking.experiment, fileName: config.name });
  const engine = await initEngine({ log, xnnpackThreads: xnnpackThreadsFor(config.model.backbone) });
  // Bad config or input fails here, before any run exists.
  const data = await loadTrialData(config, { progress: o.progress, log });
  const tracking = await openTracking({ uri: trackingUri, log });
  try {
    const experimentId = await tracking.getOrCreateExperiment(experimentName);
    const trial = await runTrial({ resolved, tracking, experimentId, engine, projectRoot, progress: o.progress, log,
      runName: trialRunName(config.name, config, { projectRoot }) }, data);
    // A single run is its own best: its error analysis, and its registration when asked.
    if (trial.outcome === 'completed') await afterBest(tracking, config, [trial.runId], { projectRoot, log });
    const summary: RunSummary = {
      status: trial.status, outcome: trial.outcome, run_id: trial.runId, experiment_id: experimentId,
      backend: engine.backend, device: engine.device, tracking_uri: tracking.uri, metrics: pickReported(trial.metrics),
      ...(trial.reason ? { reason: trial.reason } : {}),
    };
    log(`cellab: run ${trial.runId} (${trial.outcome}) in experiment '${experimentName}': ${describeRunLocation(tracking.uri, experimentId, trial.runId, cwd)}`);
    return { summary, trial, engine, tracking };
  } finally {
    await tracking.close();
  }
}

/** The metrics reported under bare names in the JSON summary (multi-label runs add theirs; `accuracy` is then subset accuracy). */
export const REPORTED_METRICS = ['accuracy', 'average_class_accuracy', 'balanced_accuracy', 'macro_f1', 'auc',
  'micro_f1', 'micro_precision', 'micro_recall', 'samples_f1', 'hamming_loss', 'mean_ap'] as const;

export function pickReported(metrics: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of REPORTED_METRICS) if (Number.isFinite(metrics[k])) out[k] = metrics[k];
  return out;
}
