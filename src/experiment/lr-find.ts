// `cellab lr-find FILE` / `exp.lrFind()`: the LR range test on an experiment's data
// and model (first fold of a k-fold split; the file's first configuration of a
// sweep), logged as its own run (tag cellab.kind = lr-find): the loss per step, the
// plot, the suggested learning rates as metrics and in the note.
import * as path from 'node:path';
import { initEngine, deviceTag } from '../engine/backend';
import { openTracking, resolveExperimentName, resolveTrackingUri, findProjectRoot } from '../tracking/index';
import { buildModel } from '../models/index';
import { lrRangeTest, type LrFindResult } from '../train/index';
import { lrFindSpec, renderSvg, svgToPng, type VegaLiteSpec } from '../plots/index';
import { formatCsv } from '../data/csv';
import { configHash, configToYaml, flattenConfig, type ResolvedExperiment } from './config';
import { expandTrials } from './trials';
import { loadTrialData } from './trial';
import { createProgress, type ProgressMode } from './progress';
import { markdownTable } from './note';
import { ConfigError } from '../engine/schema';

export interface LrFindRunOptions {
  startLr?: number;
  endLr?: number;
  steps?: number;
  trackingUri?: string;
  progress?: ProgressMode;
  log?: (line: string) => void;
  cwd?: string;
}

export interface LrFindReport extends LrFindResult {
  run_id: string;
  experiment_id: string;
  tracking_uri: string;
  /** The plot (log learning rate vs smoothed loss, suggestions as rules). */
  spec: VegaLiteSpec;
}

/** The suggestion to start from: steepest descent when there is one, else minimum/10. */
export function suggestedLr(s: LrFindResult['suggestions']): number | undefined {
  return s.steepest ?? s['minimum/10'];
}

export async function runLrFind(resolved: ResolvedExperiment, o: LrFindRunOptions = {}): Promise<LrFindReport> {
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const steps = o.steps ?? 100, startLr = o.startLr ?? 1e-7, endLr = o.endLr ?? 10;
  // Checked before anything loads or a run exists (exit code 1: nothing ran).
  if (!(startLr > 0 && endLr > startLr)) throw new ConfigError([`lr-find: the range must grow (0 < startLr < endLr), got ${startLr} .. ${endLr}`]);
  if (!(Number.isInteger(steps) && steps >= 2)) throw new ConfigError([`lr-find: steps must be an integer of at least 2, got ${steps}`]);
  const projectRoot = findProjectRoot(resolved.file ? path.dirname(resolved.file) : o.cwd ?? process.cwd());
  // A sweep's first configuration (its first fold): the test is about the data and the net, not the swept values.
  const first = expandTrials(resolved.config, projectRoot)[0];
  const config = first.config;
  const trackingUri = resolveTrackingUri({ cli: o.trackingUri, config: config.tracking.uri, projectRoot });
  const experimentName = resolveExperimentName({ config: config.tracking.experiment, fileName: config.name });
  const engine = await initEngine({ log });
  const data = await loadTrialData(config, { fold: first.fold, progress: o.progress, log });
  const tracking = await openTracking({ uri: trackingUri, log });
  try {
    const experimentId = await tracking.getOrCreateExperiment(experimentName);
    const hash = configHash(config, first.fold !== undefined ? { fold: first.fold } : {}, projectRoot);
    const run = await tracking.startRun({
      experimentId, runName: `${config.name}-lr-find-${config.model.backbone}-${hash.slice(0, 4)}`,
      // Not cellab.config_hash: this run is not a trial of the configuration (--resume must never count it as done).
      tags: { 'cellab.kind': 'lr-find', 'cellab.backend': engine.backend, 'cellab.device': deviceTag(engine), 'cellab.lr_find_of': hash, ...config.tracking.tags },
    });
    let status: 'FINISHED' | 'FAILED' = 'FAILED';
    try {
      run.logParams({ ...flattenConfig({ dataset: config.dataset, model: config.model, train: config.train }), 'lr_find.start_lr': startLr, 'lr_find.end_lr': endLr, 'lr_find.steps': steps });
      await run.logArtifact('config.yaml', configToYaml(config));
      const built = buildModel(config.model, { inputShape: data.train.shape, classes: data.classes.length, seed: config.train.seed, log });
      const bar = createProgress('lr-find', steps, { mode: o.progress, unit: 'steps' });
      let result: LrFindResult;
      try {
        result = await lrRangeTest(built.model, data.train, config.train, {
          startLr, endLr, steps,
          classWeights: config.dataset.classWeights !== 'none' ? data.classWeights.perClass : undefined,
          onStep: (p) => {
            bar.update(p.step + 1, { lr: p.lr, loss: p.smoothed });
            if (Number.isFinite(p.loss)) run.logMetrics({ 'lr_find/loss': p.loss, 'lr_find/smoothed_loss': p.smoothed, 'lr_find/lr': p.lr }, p.step);
          },
        });
      } finally {
        built.model.dispose();
      }
      bar.finish({ steps: result.points.length, ...(result.stopped === 'diverged' ? { stopped: 'diverged' } : {}) });
      const s = result.suggestions;
      if (s.steepest !== undefined) run.logMetric('lr_find/suggested_steepest', s.steepest);
      if (s['minimum/10'] !== undefined) run.logMetric('lr_find/suggested_minimum_div10', s['minimum/10']);
      const spec = lrFindSpec({ points: result.points, suggestions: s, title: `${config.name}: learning-rate range test (${config.model.backbone})`, note: `stopped: ${result.reason}` });
      const svg = await renderSvg(spec);
      await run.logArtifact('plots/lr_find.svg', svg);
      await run.logArtifact('plots/lr_find.png', await svgToPng(svg, 'lr_find', 2));
      await run.logArtifact('plots/lr_find.vl.json', JSON.stringify(spec));
      await run.logArtifact('lr_find.csv', formatCsv(['step', 'lr', 'loss', 'smoothed_loss'], result.points.map((p) => [p.step, p.lr, p.loss, p.smoothed])));
      run.setTag('cellab.outcome', 'completed');
      run.setTag('mlflow.note.content', [
        `**${config.name}** · learning-rate range test · ${config.model.backbone} · ${config.train.optimizer}, batch ${config.train.batchSize}`,
        `The learning rate grew exponentially from ${startLr} to ${endLr} over at most ${steps} steps on the training split; ${result.points.length} steps ran (${result.reason}).`,
        markdownTable(['suggestion', 'learning rate'], [['steepest descent of the smoothed loss', s.steepest?.toPrecision(3) ?? '–'], ['minimum of the smoothed loss / 10', s['minimum/10']?.toPrecision(3) ?? '–']]),
        `Current train.lr in the experiment file: ${config.train.lr}.`,
      ].join('\n\n'));
      status = 'FINISHED';
      log(`cellab: lr-find: suggested ${s.steepest !== undefined ? `${s.steepest.toPrecision(3)} (steepest)` : ''}${s.steepest !== undefined && s['minimum/10'] !== undefined ? ', ' : ''}${s['minimum/10'] !== undefined ? `${s['minimum/10'].toPrecision(3)} (minimum/10)` : ''}; run ${run.runId}`);
      return { ...result, run_id: run.runId, experiment_id: experimentId, tracking_uri: tracking.uri, spec };
    } catch (err) {
      run.setTag('cellab.outcome', 'error');
      run.setTag('cellab.outcome_reason', String((err as Error).message).slice(0, 4000));
      throw err;
    } finally {
      await run.end(status);
    }
  } finally {
    data.close();
    await tracking.close();
  }
}
