// What happens to the best run once a sweep (or a single run) has chosen it: its
// error-analysis galleries are logged, and with `tracking.registerModel: NAME` its
// checkpoint becomes a new version of that registered model. Neither changes the
// outcome of the runs: a failure is said on stderr and in a tag.
import * as path from 'node:path';
import { registerModelVersion, type Tracking } from '../tracking/index';
import type { ExperimentConfig } from './schema';
import { errorAnalysisOptions, logErrorAnalysis, type ErrorAnalysisOptions } from './error-analysis';

export interface BestRunReport {
  /** Artifacts written by the error analysis. */
  artifacts: string[];
  /** `NAME/version` registered, when asked. */
  registered?: { name: string; version: string; source: string };
}

/**
 * Runs logErrorAnalysis in another process (the sweep worker that trained the best run: its engine
 * and modules are warm, and the sweep's parent writes its own artifacts meanwhile). Resolves with
 * the artifacts written, rejects as logErrorAnalysis would, or resolves undefined when that process
 * cannot be reached: the analysis then runs here.
 */
export type AnalyseElsewhere = (runIds: string[], options: ErrorAnalysisOptions & { cacheDir: string }) => Promise<string[] | undefined>;

/** The best run's error-analysis galleries (see logErrorAnalysis), or the tag that says why there are none. Never throws: a failure is logged. */
export async function analyseBest(tracking: Tracking, config: ExperimentConfig, runIds: string[], o: { projectRoot: string; log: (l: string) => void; elsewhere?: AnalyseElsewhere }): Promise<string[]> {
  const analysis = errorAnalysisOptions(config.tracking);
  if (analysis && config.dataset.bags) {
    // Per-image galleries do not apply to per-patient predictions: said once, in a tag, not as a failure.
    await tracking.setTag(runIds[0], 'cellab.error_analysis_skipped',
      'patient-level run (dataset.bags): predictions are per patient; see patients.csv, attention.csv and plots/gate.png').catch(() => undefined);
  } else if (analysis && config.dataset.multiLabel === 'multi') {
    // Top losses, confused pairs and Grad-CAM of one class assume one label per image; label-set
    // runs (the first-label reduction too) log label-set predictions.
    await tracking.setTag(runIds[0], 'cellab.error_analysis_skipped',
      'multi-label run: see plots/per_label_f1, label_counts and pr_per_label, and predictions.csv').catch(() => undefined);
  } else if (analysis) {
    const options = { ...analysis, cacheDir: path.join(o.projectRoot, '.cache', 'pretrained') };
    try {
      return (await o.elsewhere?.(runIds, options)) ?? await logErrorAnalysis(tracking, runIds, { ...options, log: o.log });
    } catch (err) {
      o.log(`cellab: error analysis of run ${runIds[0]} failed: ${(err as Error).message}`);
    }
  }
  return [];
}

/**
 * The error analysis (analyseBest, or `analysed`: its result when the caller started it earlier)
 * and the registration of the best run's checkpoint.
 */
export async function afterBest(tracking: Tracking, config: ExperimentConfig, runIds: string[], o: { projectRoot: string; log: (l: string) => void; tagRunId?: string; analysed?: Promise<string[]> }): Promise<BestRunReport> {
  const report: BestRunReport = { artifacts: await (o.analysed ?? analyseBest(tracking, config, runIds, o)) };
  const name = config.tracking.registerModel;
  if (name) {
    const runId = runIds[0];
    try {
      const run = await tracking.getRun(runId);
      const listing = await tracking.listArtifacts(runId);
      if (!listing.some((a) => a.path === 'checkpoint')) {
        throw new Error(`run ${runId} logged no checkpoint (train.checkpoint: false or model.head: linear): there is nothing to register`);
      }
      const metrics = Object.fromEntries(Object.entries(run.metrics)
        .filter(([k]) => k.startsWith(`${config.eval.split}/`) || k === 'val/best_accuracy' || k === 'val/best_loss')
        .map(([k, v]) => [k, String(v)]));
      const source = `${run.info.artifactUri.replace(/\/+$/, '')}/checkpoint`;
      const r = await registerModelVersion(tracking.store, {
        name, source, runId,
        tags: { ...metrics, 'cellab.experiment': config.name, 'model.backbone': config.model.backbone, 'cellab.config_hash': run.tags['cellab.config_hash'] ?? '' },
        description: `${config.name}: ${run.info.runName} (chosen on validation)`,
        modelDescription: config.description,
      });
      report.registered = { name, version: r.version.version, source };
      await tracking.setTag(runId, 'cellab.registered_model', `${name}/${r.version.version}`);
      o.log(`cellab: registered ${source} as version ${r.version.version} of model '${name}'${r.createdModel ? ' (new registered model)' : ''}`);
    } catch (err) {
      o.log(`cellab: tracking.registerModel '${name}' failed: ${(err as Error).message}`);
      await tracking.setTag(o.tagRunId ?? runId, 'cellab.register_model_error', (err as Error).message.slice(0, 4000)).catch(() => undefined);
    }
  }
  return report;
}
