// A sweep: one parent run plus one child run per trial (fold index as a
// param), resumable, shardable across a cluster scheduler's array job, and
// parallel across worker processes on one machine.
import * as os from 'node:os';
import * as path from 'node:path';
import { initEngine, coreCount, deviceTag, type EngineInfo } from '../engine/backend';
import { adapterProbeStarted, probeEnvForChildren, startAdapterProbe } from '../engine/adapter-probe';
import { xnnpackThreadsFor } from './engine-threads';
import { openTracking, findProjectRoot, resolveExperimentName, resolveTrackingUri, onBeforeKill, type Tracking, type RunLogger } from '../tracking/index';
import type { RunRecord, Store } from '../tracking/types';
import { sweepSpec, searchSpec as searchPlotSpec, renderSvg, svgToPng, type SearchTrial } from '../plots/index';
import { formatCsv } from '../data/csv';
import { configHash, configToYaml, canonicalJson, sweepIdentity, type ResolvedExperiment } from './config';
import { expandTrials, numFolds, shardTrials, trialLabel, withParams, type Trial } from './trials';
import { searchSpec, type SearchSpec } from './search-space';
import { Budget, recordedParams, STOPPED_BY_TAG, TRIAL_INDEX_TAG, TRIAL_PARAMS_TAG, TrialChooser } from './search';
import { createPruner } from './pruning';
import { IMPORTANCE_METHOD, paramImportance } from './importance';
import { checkTrialData, loadTrialData, runTrial, trialDataKey, type TrialData, type TrialResult, type Outcome } from './trial';
import { findOrCreateParent, findChildren, reconcileParents, SWEEP_ID_TAG, SWEEP_ROLE_TAG } from './parent';
import { createProgress, type ProgressMode } from './progress';
import { TrialWorker, type AnalyseRequest } from './worker-pool';
import { pickReported } from './run';
import { compareCandidates, finiteMean, pickBest } from './selection';
import { sweepRunName, trialRunName } from './run-name';
import { logReadableSweep } from './sweep-extras';
import { afterBest, analyseBest, type AnalyseElsewhere } from './best-run';
import { logErrorAnalysis } from './error-analysis';
import { phase } from './timing';

export interface ShardSpec {
  index: number;
  count: number;
}

export interface SweepOptions {
  trackingUri?: string;
  parallel?: number;
  resume?: boolean;
  shard?: ShardSpec;
  /** Groups shards (and resumes) under one parent; default derived from the config and the scheduler. */
  sweepId?: string;
  progress?: ProgressMode;
  log?: (line: string) => void;
  cwd?: string;
  /** Worker re-launch arguments (the CLI passes its own: file, --set, --profile). */
  workerArgs?: string[];
  env?: NodeJS.ProcessEnv;
}

export interface TrialRow {
  trial: number;
  label: string;
  params: Record<string, unknown>;
  fold?: number;
  /** `running`: another shard (or worker) is still running it. */
  outcome: Outcome | 'skipped' | 'running';
  reason?: string;
  runId?: string;
  /** The run's name in MLflow (rows read back from the record). */
  runName?: string;
  metrics: Record<string, number>;
  /** Validation accuracy of the selected epoch: what picks the best configuration (never test). */
  selection?: number;
  /** Validation loss at that epoch: breaks ties in `selection`. */
  selectionLoss?: number;
  /** The reported split's decision threshold when `eval.threshold` chose one on validation. */
  threshold?: number;
}

export interface SweepSummary {
  status: 'FINISHED' | 'FAILED' | 'RUNNING' | 'KILLED';
  outcome: 'completed' | 'partial' | 'error';
  run_id: string;
  experiment_id: string;
  sweep_id: string;
  backend: string;
  device: string;
  tracking_uri: string;
  trials: { total: number; finished: number; failed: number; diverged: number; pruned: number; running: number; skipped: number };
  /** random/tpe searches: how trials were chosen. */
  search?: { method: 'random' | 'tpe'; seed: number; configurations: number };
  /**
   * `sweep.budget` (when set, or when it stopped the sweep): `stopped_by` says which budget ran out,
   * `not_started` counts the trials it left (`--resume` runs them).
   */
  budget?: { trials?: number; minutes?: number; stopped_by: string | null; not_started: number };
  /**
   * The configuration chosen on validation (mean across folds; never on test), or null
   * with `best_reason`. `run_id` is its first run; `run_ids` lists every fold's run.
   */
  best: { run_id: string; run_ids: string[]; params: Record<string, unknown>; metrics: Record<string, number>;
    selection: { metric: 'val/accuracy'; value: number | null; loss: number | null; folds: number } } | null;
  best_reason?: string;
}

export interface SweepRun {
  summary: SweepSummary;
  /** Every trial of the sweep as recorded (all shards and earlier resumes). */
  rows: TrialRow[];
  /** The trials this process was responsible for (its shard), as recorded: what its exit code judges. */
  own: TrialRow[];
  tracking: Tracking;
  engine: EngineInfo;
}

/** `--shard i/n` or `auto` (Slurm array / Kubernetes Indexed Job). */
export function parseShard(spec: string, env: NodeJS.ProcessEnv = process.env): ShardSpec {
  if (spec === 'auto') {
    if (env.SLURM_ARRAY_TASK_ID !== undefined) {
      const count = Number(env.SLURM_ARRAY_TASK_COUNT);
      const min = Number(env.SLURM_ARRAY_TASK_MIN ?? 0);
      if (!Number.isInteger(count) || count < 1) throw new Error('--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; submit with --array=0-N');
      return checkShard(Number(env.SLURM_ARRAY_TASK_ID) - min, count, 'SLURM_ARRAY_TASK_ID');
    }
    if (env.JOB_COMPLETION_INDEX !== undefined) {
      const count = Number(env.CELLAB_SHARD_COUNT ?? env.JOB_COMPLETIONS);
      if (!Number.isInteger(count) || count < 1) {
        throw new Error('--shard auto: JOB_COMPLETION_INDEX is set but the completions count is not: set CELLAB_SHARD_COUNT (or JOB_COMPLETIONS) to the Job\'s spec.completions');
      }
      return checkShard(Number(env.JOB_COMPLETION_INDEX), count, 'JOB_COMPLETION_INDEX');
    }
    throw new Error('--shard auto needs SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT (Slurm job array) or JOB_COMPLETION_INDEX + CELLAB_SHARD_COUNT (Kubernetes Indexed Job)');
  }
  const m = /^(\d+)\/(\d+)$/.exec(spec.trim());
  if (!m) throw new Error(`--shard ${spec}: expected i/n (0 <= i < n), e.g. --shard 0/4, or auto`);
  return checkShard(Number(m[1]), Number(m[2]), '--shard');
}

function checkShard(index: number, count: number, what: string): ShardSpec {
  if (!(count >= 1) || !(index >= 0) || index >= count || !Number.isInteger(index)) {
    throw new Error(`${what}: shard ${index} of ${count} is out of range (0 <= i < n)`);
  }
  return { index, count };
}

/**
 * The sweep id shared by all shards of one sweep and found again by --resume:
 * explicit > CELLAB_SWEEP_ID > the Slurm array job id > the config's hash.
 */
export function defaultSweepId(hash: string, o: { sweepId?: string; shard?: ShardSpec; resume?: boolean; env: NodeJS.ProcessEnv }): string {
  if (o.sweepId) return o.sweepId;
  if (o.env.CELLAB_SWEEP_ID) return o.env.CELLAB_SWEEP_ID;
  if (o.shard && o.env.SLURM_ARRAY_JOB_ID) return `${hash}-slurm${o.env.SLURM_ARRAY_JOB_ID}`;
  if (o.shard || o.resume) return hash;
  // A plain re-run is a new sweep (its own parent); --resume finds the latest by hash.
  return `${hash}-${Date.now().toString(36)}`;
}

function sweepHash(resolved: ResolvedExperiment, projectRoot: string): string {
  return configHash(resolved.config, { sweep: sweepIdentity(resolved.config.sweep) }, projectRoot);
}

/** A run --resume does not repeat: FINISHED, diverged or collapsed (it would do the same again) or pruned (the search stopped it). */
function isDone(r: RunRecord): boolean {
  const outcome = r.tags['cellab.outcome'];
  return r.info.status === 'FINISHED' || outcome === 'diverged' || outcome === 'collapsed' || outcome === 'pruned';
}

/**
 * Trials already done for --resume: by config hash (grid, random), or by trial index for tpe,
 * whose params are only known once chosen.
 */
function doneKeys(runs: RunRecord[]): { hashes: Set<string>; indices: Set<number> } {
  const hashes = new Set<string>(), indices = new Set<number>();
  for (const r of runs) {
    if (r.tags[SWEEP_ROLE_TAG] === 'parent' || !isDone(r)) continue;
    if (r.tags['cellab.config_hash']) hashes.add(r.tags['cellab.config_hash']);
    if (r.tags[TRIAL_INDEX_TAG] !== undefined) indices.add(Number(r.tags[TRIAL_INDEX_TAG]));
  }
  return { hashes, indices };
}

const isDoneTrial = (t: Trial, done: { hashes: Set<string>; indices: Set<number> }) => (t.method === 'tpe' ? done.indices.has(t.index) : done.hashes.has(t.configHash));

/**
 * Default workers: workers x wasm threads <= cores. Unless the user fixed the
 * thread count, a wasm sweep runs one single-threaded worker per core (trial
 * workers scale better than threads: two trials at once take ~0.6x the time of
 * one after the other on 2 cores).
 */
export function defaultParallel(trials: number, engine: EngineInfo, env: NodeJS.ProcessEnv = process.env): number {
  const cores = coreCount();
  if (engine.backend !== 'wasm') return 1;
  const threads = env.CELLAB_WASM_THREADS ? Math.max(1, engine.threads) : 1;
  return Math.max(1, Math.min(trials, Math.floor(cores / threads)));
}

function rowFromResult(t: Trial, r: TrialResult | undefined, err?: unknown): TrialRow {
  if (!r) {
    return { trial: t.index, label: trialLabel(t), params: t.params, fold: t.fold, outcome: 'error', reason: String((err as Error)?.message ?? err), metrics: {} };
  }
  const best = r.history.find((h) => h.epoch === r.bestEpoch) ?? r.history[r.history.length - 1];
  return {
    trial: t.index, label: trialLabel(t), params: t.params, fold: t.fold, outcome: r.outcome, reason: r.reason,
    runId: r.runId, metrics: pickReported(r.metrics), selection: best?.['val/accuracy'], selectionLoss: best?.['val/loss'],
    threshold: Number.isFinite(r.metrics.threshold) ? r.metrics.threshold : undefined,
  };
}

function rowFromRun(trial: Trial, run: RunRecord): TrialRow {
  // A tpe trial's params were chosen at launch: the run recorded them.
  const recorded = trial.pending ? recordedParams(run) : undefined;
  const t = recorded ? { ...trial, params: recorded } : trial;
  const metrics: Record<string, number> = {};
  const prefix = `${t.config.eval.split}/`;
  for (const [k, v] of Object.entries(run.metrics)) if (k.startsWith(prefix)) metrics[k.slice(prefix.length)] = v;
  // A run still RUNNING belongs to another shard or worker (our own runs have ended by now).
  const outcome: TrialRow['outcome'] = (run.tags['cellab.outcome'] as Outcome | undefined)
    ?? (run.info.status === 'FINISHED' ? 'completed' : run.info.status === 'RUNNING' ? 'running' : 'error');
  return {
    trial: t.index, label: trialLabel(t), params: t.params, fold: t.fold, outcome, reason: run.tags['cellab.outcome_reason'],
    runId: run.info.runId, runName: run.info.runName || undefined, metrics: pickReported(metrics), selection: run.metrics['val/best_accuracy'], selectionLoss: run.metrics['val/best_loss'],
    threshold: Number.isFinite(metrics.threshold) ? metrics.threshold : undefined,
  };
}

/** A configuration of the sweep: its completed folds, their mean/std, and what selection reads. */
export interface ConfigurationResult {
  key: string;
  params: Record<string, unknown>;
  n: number;
  mean: Record<string, number>;
  std: Record<string, number>;
  /** Mean validation accuracy across folds (undefined: no validation split). */
  selection?: number;
  selectionLoss?: number;
  firstTrial: number;
  rows: TrialRow[];
}

/** Mean and (population) std of each reported metric across folds, per configuration. */
export function aggregate(rows: TrialRow[]): ConfigurationResult[] {
  const groups = new Map<string, TrialRow[]>();
  for (const r of rows) {
    if (r.outcome !== 'completed') continue;
    const key = canonicalJson(r.params);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.entries()].map(([key, rs]) => {
    const names = [...new Set(rs.flatMap((r) => Object.keys(r.metrics)))];
    const mean: Record<string, number> = {}, std: Record<string, number> = {};
    for (const n of names) {
      const xs = rs.map((r) => r.metrics[n]).filter((v) => Number.isFinite(v));
      const m = xs.reduce((s, v) => s + v, 0) / xs.length;
      mean[n] = m;
      std[n] = Math.sqrt(xs.reduce((s, v) => s + (v - m) ** 2, 0) / xs.length);
    }
    return {
      key, params: rs[0].params, n: rs.length, mean, std, rows: rs,
      selection: finiteMean(rs.map((r) => r.selection)), selectionLoss: finiteMean(rs.map((r) => r.selectionLoss)),
      firstTrial: Math.min(...rs.map((r) => r.trial)),
    };
  });
}

/** Configurations ranked best first by validation (see selection.ts). */
export function rankConfigurations(rows: TrialRow[]): ConfigurationResult[] {
  return aggregate(rows).sort(compareCandidates);
}

/** A plain-text table: trial, varied params, validation accuracy (what selection reads), key metrics, outcome; then `note`. */
export function formatTable(rows: TrialRow[], note?: string): string {
  // Multi-label rows (they have a Hamming loss) lead with micro F1, the protein study's headline.
  const multiLabel = rows.some((r) => r.metrics.hamming_loss !== undefined);
  const metricNames = [...(multiLabel ? ['micro_f1'] : []), 'accuracy', 'average_class_accuracy', 'macro_f1', 'auc'].filter((m) => rows.some((r) => r.metrics[m] !== undefined));
  const hasVal = rows.some((r) => r.selection !== undefined);
  const header = ['trial', 'params', ...(hasVal ? ['val acc'] : []), ...metricNames.map((m) => m.replace('average_class_accuracy', 'ACA')), 'outcome'];
  const body = rows.map((r) => [
    String(r.trial), r.label, ...(hasVal ? [r.selection !== undefined ? r.selection.toFixed(4) : '-'] : []),
    ...metricNames.map((m) => (r.metrics[m] !== undefined ? r.metrics[m].toFixed(4) : '-')),
    r.outcome + (r.reason && r.outcome !== 'completed' ? `: ${r.reason}` : ''),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (i === header.length - 1 ? 0 : b[i].length))));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...body.map(fmt), ...(note ? [note] : [])].join('\n');
}

/** The table's last line: which configuration was chosen, on what, or why none was. */
export function bestLine(best: ConfigurationResult | null, reason?: string): string {
  if (!best) return `best: none (${reason ?? 'no configuration completed'})`;
  const what = best.rows.map((r) => r.trial).join(', ');
  const params = Object.entries(best.params).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' ');
  const on = best.selection !== undefined
    ? `chosen on validation: mean val accuracy ${best.selection.toFixed(4)}${best.n > 1 ? ` over ${best.n} folds` : ''}${best.selectionLoss !== undefined ? `, val loss ${best.selectionLoss.toFixed(4)}` : ''}`
    : 'the only configuration';
  return `best: ${params || 'the configuration'} (trial${best.rows.length > 1 ? 's' : ''} ${what}; ${on})`;
}

export async function runSweep(resolved: ResolvedExperiment, o: SweepOptions = {}): Promise<SweepRun> {
  const spares: TrialWorker[] = [];
  try {
    return await sweepWith(resolved, o, spares);
  } finally {
    // Workers started ahead that no lane took (an error before the trials, or fewer trials to run),
    // and on an error, those kept for the best run's error analysis.
    await Promise.all(spares.splice(0).map((w) => w.close()));
  }
}

/** The worker to ask for the best run's error analysis: the one that trained its first run, else another that trained one and is still up. */
function analystFor(best: TrialRow[], ranBy: Map<number, TrialWorker>): TrialWorker | undefined {
  for (const r of best) {
    const w = ranBy.get(r.trial);
    if (w?.alive) return w;
  }
  return [...ranBy.values()].find((w) => w.alive);
}

/** AnalyseElsewhere through a sweep worker: its log lines said here; undefined (the analysis runs here) when the worker is gone. */
export function workerAnalysis(w: TrialWorker, log: (l: string) => void): AnalyseElsewhere {
  return async (runIds, options) => {
    const reply = await w.analyse({ runIds, options });
    if (!reply) {
      log(`cellab: the worker that was to analyse run ${runIds[0]} is gone; analysing it here`);
      return undefined;
    }
    for (const l of reply.lines) log(l);
    if (reply.error !== undefined) throw new Error(reply.error);
    return reply.artifacts ?? [];
  };
}

async function sweepWith(resolved: ResolvedExperiment, o: SweepOptions, spares: TrialWorker[]): Promise<SweepRun> {
  const env = o.env ?? process.env;
  const cwd = o.cwd ?? process.cwd();
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const { config } = resolved;
  const projectRoot = findProjectRoot(resolved.file ? path.dirname(resolved.file) : cwd);
  const trackingUri = resolveTrackingUri({ cli: o.trackingUri, config: config.tracking.uri, projectRoot, env });
  const experimentName = resolveExperimentName({ config: config.tracking.experiment, fileName: config.name, env });
  const spec = searchSpec(config);
  const all = expandTrials(config, projectRoot);
  const mine = shardTrials(all, o.shard);
  const folds = numFolds(config.dataset.split);
  // Worker processes: one wasm thread each when they fill the cores (unless the user set the threads).
  // They get this process' WebGPU adapter probe once it has answered (CELLAB_WEBGPU_PROBE), instead of each asking Dawn again.
  const spawnWorker = (workers: number, first?: Trial) => new TrialWorker({
    args: [...(o.workerArgs ?? []), '--tracking-uri', trackingUri, ...(first ? ['--warm-trial', String(first.index)] : [])],
    env: { ...env, CELLAB_WASM_THREADS: env.CELLAB_WASM_THREADS ?? String(Math.max(1, Math.floor(coreCount() / workers))), CELLAB_PROGRESS: '0', ...probeEnvForChildren() }, cwd,
  });
  // An explicit --parallel N: start the workers now, so that their start-up (modules, engine, their first
  // trial's data) overlaps this process's (engine, tracking, parent run) instead of following it.
  // Without --resume the trials to run are known already.
  if (!o.resume && (o.parallel ?? 1) > 1 && mine.length > 1) {
    const n = Math.min(o.parallel!, mine.length);
    // The probe bin/run-experiment.js started has run while the modules loaded (done by now, as a rule): its
    // answer saves each worker its own (~0.2 s of a Node start and Dawn's, all at once on the same cores).
    // Without one under way (runSweep called from code, or a backend chosen) the workers probe if they need to.
    if (adapterProbeStarted()) await startAdapterProbe();
    for (let i = 0; i < n; i++) spares.push(spawnWorker(n, mine[i]));
    phase(`sweep: ${n} workers spawned`);
  }
  // With workers started ahead, this process runs no trial: its engine only names the backend (the parent
  // run's tags) and analyses the best run if that run's worker is gone. One wasm thread: the thread pool's
  // start (~0.45 s of CPU) would compete with the workers' own start-up on the same cores.
  const engine = await initEngine({ log, ...(spares.length ? { threads: 1 } : { xnnpackThreads: xnnpackThreadsFor(resolved.config.model.backbone) }) });
  phase('sweep: engine ready');
  const tracking = await openTracking({ uri: trackingUri, log });
  const experimentId = await tracking.getOrCreateExperiment(experimentName);
  const hash = sweepHash(resolved, projectRoot);
  let sweepId = defaultSweepId(hash, { ...o, env });
  if (o.resume && !o.sweepId && !env.CELLAB_SWEEP_ID && !(o.shard && env.SLURM_ARRAY_JOB_ID)) {
    // The latest earlier sweep of this config, whatever id it was given.
    const earlier = await tracking.searchRuns({ experimentIds: [experimentId],
      filter: `tags.\`${SWEEP_ROLE_TAG}\` = 'parent' AND tags.\`cellab.config_hash\` = '${hash}'`, orderBy: ['attributes.start_time DESC'], maxResults: 1 });
    if (earlier[0]?.tags[SWEEP_ID_TAG]) sweepId = earlier[0].tags[SWEEP_ID_TAG];
  }
  let parentLogger: RunLogger | undefined;
  const parent = await findOrCreateParent({
    tracking, experimentId, sweepId,
    settleMs: o.shard ? 1500 : 0,
    create: async () => {
      parentLogger = await tracking.startRun({
        experimentId, runName: sweepRunName(config.name, sweepId),
        tags: {
          [SWEEP_ID_TAG]: sweepId, [SWEEP_ROLE_TAG]: 'parent', 'cellab.config_hash': hash,
          'cellab.backend': engine.backend, 'cellab.device': deviceTag(engine), ...config.tracking.tags,
          ...(config.description ? { 'mlflow.note.content': config.description } : {}),
        },
      });
      parentLogger.logParams({ 'sweep.size': all.length, ...Object.fromEntries(Object.entries(config.sweep).map(([k, v]) => [`sweep.${k}`, JSON.stringify(v)])) });
      await parentLogger.logArtifact('config.yaml', configToYaml(config));
      await parentLogger.flush();
      return parentLogger.runId;
    },
  });
  if (parentLogger && parentLogger.runId !== parent.runId) {
    // Lost the election to a concurrent shard: our candidate is deleted by reconcileParents.
    await parentLogger.end('KILLED').catch((e: Error) => log(`cellab: could not end the unused parent candidate ${parentLogger!.runId} (it is deleted with the other duplicates): ${e.message}`));
    parentLogger = undefined;
  }
  const parentRunId = parent.runId;
  phase('sweep: parent run ready');
  const how = spec.method === 'random' ? `random search (seed ${spec.seed}, ${spec.trials} configuration(s))`
    : spec.method === 'tpe' ? `tpe search (seed ${spec.seed}, ${spec.trials} configuration(s), the first ${Math.min(spec.tpe.startup, spec.trials!)} at random)` : undefined;
  log(`cellab: sweep ${sweepId}: ${all.length} trial(s)${how ? `, ${how}` : ''}${spec.prune ? `, ${spec.prune.method} pruning on ${spec.prune.metric}` : ''}` +
    `${o.shard ? `, shard ${o.shard.index}/${o.shard.count} runs ${mine.length}` : ''}; parent run ${parentRunId}`);

  let todo = mine;
  const skipped: Trial[] = [];
  if (o.resume) {
    const earlierRuns = await tracking.searchRuns({ experimentIds: [experimentId], filter: `tags.\`${SWEEP_ID_TAG}\` = '${sweepId}'`, maxResults: 10000 });
    const done = doneKeys(earlierRuns);
    todo = mine.filter((t) => !isDoneTrial(t, done));
    // A trial of this shard still RUNNING was killed (SIGKILL, preemption): it runs again, so close the old run.
    const mineHashes = new Set(todo.map((t) => t.configHash));
    const mineIndices = new Set(todo.filter((t) => t.method === 'tpe').map((t) => String(t.index)));
    for (const r of earlierRuns) {
      if (r.info.status !== 'RUNNING' || r.tags[SWEEP_ROLE_TAG] === 'parent') continue;
      if (!mineHashes.has(r.tags['cellab.config_hash']) && !mineIndices.has(r.tags[TRIAL_INDEX_TAG])) continue;
      await tracking.setTag(r.info.runId, 'cellab.outcome', 'interrupted');
      await tracking.setTerminated(r.info.runId, 'KILLED');
    }
    mine.filter((t) => isDoneTrial(t, done)).forEach((t) => skipped.push(t));
    if (skipped.length) log(`cellab: --resume: ${skipped.length} trial(s) already done, ${todo.length} to run`);
    // A budget that stopped the sweep before is spent no more: this process has its own.
    const parentRun = await tracking.getRun(parentRunId);
    if (parentRun.tags[STOPPED_BY_TAG]) await tracking.setTag(parentRunId, STOPPED_BY_TAG, '');
  }
  const chooser = new TrialChooser({ spec, config, tracking, experimentId, sweepId, folds, projectRoot, log });
  const budget = new Budget({ budget: spec.budget, tracking, experimentId, sweepId });
  const pruner = (t: Trial) => (spec.prune ? createPruner({ spec: spec.prune, tracking, experimentId, sweepId, epochs: t.config.train.epochs, point: t.point, seed: spec.seed }) : undefined);

  const interrupted = { value: false };
  const removeHook = onBeforeKill(() => { interrupted.value = true; });
  const rows: TrialRow[] = [];
  const sweepBar = createProgress('sweep', todo.length, { mode: o.progress, unit: 'trials' });
  let finished = 0, failed = 0, diverged = 0, pruned = 0;
  const record = (row: TrialRow) => {
    rows.push(row);
    if (row.outcome === 'completed') finished++;
    else if (row.outcome === 'diverged' || row.outcome === 'collapsed') diverged++;
    else if (row.outcome === 'pruned') pruned++;
    else failed++;
    sweepBar.update(rows.length, { finished, diverged, failed, ...(spec.prune ? { pruned } : {}) });
  };
  const parallel = Math.max(1, Math.min(todo.length || 1, o.parallel ?? defaultParallel(todo.length, engine, env)));
  /** Which worker ran each trial (--parallel): the best run's error analysis goes to the one that trained it (everything warm). */
  const ranBy = new Map<number, TrialWorker>();
  const childTags = (t: Trial) => ({ [SWEEP_ID_TAG]: sweepId, [TRIAL_INDEX_TAG]: String(t.index), [TRIAL_PARAMS_TAG]: JSON.stringify(t.params) });
  // The next trial to launch, its params chosen (tpe), or undefined once the todo list or the budget is spent.
  let next = 0;
  const launchNext = async (): Promise<Trial | undefined> => {
    if (next >= todo.length || budget.stoppedBy) return undefined;
    const t = todo[next++];
    if (!(await budget.reserve(t.index))) return undefined;
    try {
      return await chooser.materialize(t);
    } catch (err) {
      log(`cellab: trial ${t.index}: could not choose its params: ${(err as Error).message}`);
      record(rowFromResult(t, undefined, err));
      return launchNext();
    }
  };
  try {
    if (parallel <= 1) {
      for (let t = await launchNext(); t; t = await launchNext()) {
        const trialResolved = { ...resolved, config: t.config };
        phase(`sweep: trial ${t.index} start`);
        try {
          const data = await loadTrialData(t.config, { fold: t.fold, progress: o.progress, log });
          phase(`sweep: trial ${t.index} data loaded`);
          const r = await runTrial({
            resolved: trialResolved, tracking, experimentId, engine, projectRoot, fold: t.fold, parentRunId,
            runName: trialRunName(config.name, t.config, { params: t.params, fold: t.fold, projectRoot }), extraTags: childTags(t), progress: o.progress, log,
            params: t.params, pruner: pruner(t),
          }, data);
          record(rowFromResult(t, r));
          phase(`sweep: trial ${t.index} end`);
        } catch (err) {
          log(`cellab: trial ${t.index} (${trialLabel(t)}) failed: ${(err as Error).message}`);
          record(rowFromResult(t, undefined, err));
        }
      }
    } else {
      // One long-lived worker per lane (see worker-pool.ts), started ahead when it could be; a new one when the last died.
      const lane = async () => {
        let w = spares.shift();
        try {
          for (let t = await launchNext(); t; t = await launchNext()) {
            if (!w?.alive) w = spawnWorker(parallel, t);
            phase(`sweep: trial ${t.index} sent to worker ${w.pid}`);
            ranBy.set(t.index, w);
            const res = await w.run({ trial: t.index, parentRunId, sweepId, ...(t.method === 'tpe' ? { params: t.params } : {}) });
            if (res.summary && res.summary.run_id) {
              const run = await tracking.getRun(res.summary.run_id);
              record(rowFromRun(t, run));
            } else {
              log(`cellab: trial ${t.index} (${trialLabel(t)}) failed in its worker: ${res.error}`);
              record(rowFromResult(t, undefined, res.error));
            }
          }
        } finally {
          // Kept (idle) for the best run's error analysis; closed once it is chosen.
          if (w) spares.push(w);
        }
      };
      await Promise.all(Array.from({ length: parallel }, lane));
    }
    phase('sweep: all trials done');
    sweepBar.finish({ finished, diverged, failed, ...(spec.prune ? { pruned } : {}), skipped: skipped.length });
  } finally {
    removeHook();
  }
  if (budget.stoppedBy) {
    log(`cellab: ${budget.stoppedBy}: no new trials started; ${todo.length - rows.length} of this process's trial(s) left for --resume`);
    await tracking.setTag(parentRunId, STOPPED_BY_TAG, budget.stoppedBy);
  }

  // The whole sweep as recorded (all shards, earlier resumes): the parent's view.
  await reconcileParents(tracking, experimentId, sweepId);
  const children = (await findChildren(tracking, experimentId, parentRunId)).filter((r) => r.info.lifecycleStage !== 'deleted');
  const latestByIndex = new Map<number, RunRecord>();
  for (const c of children) {
    const i = Number(c.tags['cellab.trial_index']);
    const prev = latestByIndex.get(i);
    if (!prev || c.info.startTime > prev.info.startTime || c.info.status === 'FINISHED') latestByIndex.set(i, c);
  }
  const allRows = all.filter((t) => latestByIndex.has(t.index)).map((t) => rowFromRun(t, latestByIndex.get(t.index)!));
  const picked = pickBest(aggregate(allRows));
  const best = picked.best;
  const store = tracking.store;
  const now = Date.now();
  const metricPoints: { key: string; value: number; timestamp: number; step: number }[] = [];
  if (best) {
    const split = config.eval.split;
    for (const [k, v] of Object.entries(best.mean)) metricPoints.push({ key: `mean/${split}/${k}`, value: v, timestamp: now, step: 0 });
    for (const [k, v] of Object.entries(best.std)) metricPoints.push({ key: `std/${split}/${k}`, value: v, timestamp: now, step: 0 });
    if (best.selection !== undefined) metricPoints.push({ key: 'mean/val/best_accuracy', value: best.selection, timestamp: now, step: 0 });
  }
  const ended = (r: TrialRow) => r.outcome !== 'interrupted' && r.outcome !== 'running';
  const bestRunIds = best ? best.rows.map((r) => r.runId ?? '').filter(Boolean) : [];
  // A budget (of this process, or of a shard that stopped before) leaves trials unstarted: the sweep ends without them.
  const stoppedBy = budget.stoppedBy ?? ((await tracking.getRun(parentRunId)).tags[STOPPED_BY_TAG] || undefined);
  const notStarted = all.length - allRows.length;
  const complete = allRows.every(ended) && (notStarted === 0 || !!stoppedBy);
  const count = (rs: TrialRow[]) => ({
    finished: rs.filter((r) => r.outcome === 'completed').length,
    failed: rs.filter((r) => r.outcome === 'error' || r.outcome === 'interrupted').length,
    diverged: rs.filter((r) => r.outcome === 'diverged' || r.outcome === 'collapsed').length,
    pruned: rs.filter((r) => r.outcome === 'pruned').length,
  });
  const counts = {
    total: all.length, ...count(allRows),
    // Running elsewhere, or not started yet by the shard that owns it: neither failed nor completed.
    running: allRows.filter((r) => r.outcome === 'running').length + (stoppedBy ? 0 : notStarted),
    skipped: skipped.length,
  };
  // This process's trials: what it ran (a trial that failed before its run existed is only here), else the record (--resume skips).
  const own = mine.map((t): TrialRow => rows.find((r) => r.trial === t.index) ?? allRows.find((r) => r.trial === t.index)
    ?? (budget.stoppedBy ? { trial: t.index, label: trialLabel(t), params: t.params, fold: t.fold, outcome: 'skipped', reason: `not started: ${budget.stoppedBy}`, metrics: {} }
      : { trial: t.index, label: trialLabel(t), params: t.params, fold: t.fold, outcome: 'error', reason: 'no run was recorded for this trial', metrics: {} }));
  await store.logBatch(parentRunId, {
    metrics: [...metricPoints,
      { key: 'sweep/finished', value: counts.finished, timestamp: now, step: 0 },
      { key: 'sweep/failed', value: counts.failed, timestamp: now, step: 0 },
      { key: 'sweep/diverged', value: counts.diverged, timestamp: now, step: 0 },
      { key: 'sweep/pruned', value: counts.pruned, timestamp: now, step: 0 }],
    params: [],
    tags: best ? [{ key: 'cellab.best_run_id', value: best.rows[0].runId ?? '' }, { key: 'cellab.best_run_ids', value: best.rows.map((r) => r.runId ?? '').join(',') }]
      : [{ key: 'cellab.best_reason', value: picked.reason ?? '' }],
  });
  // The workers are done, but for the one that analyses the best run (it has the engine, modules and
  // files warm, and does it while this process writes the parent's artifacts).
  const analyst = complete && best && bestRunIds.length ? analystFor(best.rows, ranBy) : undefined;
  const closing = Promise.all(spares.filter((w) => w !== analyst).map((w) => w.close()));
  spares.splice(0, spares.length, ...(analyst ? [analyst] : []));
  if (complete) {
    // In a worker: started now, alongside the parent's artifacts. Here (no worker): after them, as afterBest does.
    const analysed = analyst ? analyseBest(tracking, config, bestRunIds, { projectRoot, log, elsewhere: workerAnalysis(analyst, log) }) : undefined;
    const parentRun = await tracking.getRun(parentRunId);
    const note = [bestLine(best, picked.reason), ...(stoppedBy ? [`stopped by ${stoppedBy}; ${notStarted} trial(s) not started (--resume continues the sweep)`] : [])].join('\n');
    await logSweepArtifacts(store, parentRun, allRows, note, spec);
    await logReadableSweep(tracking, parentRun, { config, trials: all, rows: allRows, bestRunIds, bestLine: note, projectRoot });
    phase('sweep: parent artifacts logged');
    if (bestRunIds.length) await afterBest(tracking, config, bestRunIds, { projectRoot, log, tagRunId: parentRunId, analysed });
    phase('sweep: best run analysed');
  }
  await Promise.all([closing, ...spares.splice(0).map((w) => w.close())]);
  // The outcome of the trials that have ended; `running` counts the rest.
  const endedRows = allRows.filter(ended);
  // Pruned trials were stopped on purpose: neither failed nor completed.
  const judged = endedRows.filter((r) => r.outcome !== 'pruned');
  const outcome: SweepSummary['outcome'] = judged.every((r) => r.outcome === 'completed') ? 'completed' : counts.finished > 0 ? 'partial' : 'error';
  // A sweep that ran every trial is FINISHED even when some diverged (its outcome says `partial`);
  // FAILED is for a sweep where no trial finished.
  const status: SweepSummary['status'] = interrupted.value ? 'KILLED' : !complete ? 'RUNNING' : outcome === 'error' ? 'FAILED' : 'FINISHED';
  if (complete) await tracking.setTag(parentRunId, 'cellab.outcome', outcome);
  if (parentLogger) {
    if (complete) await parentLogger.end(status === 'FINISHED' ? 'FINISHED' : 'FAILED');
    // Other shards (or a later --resume) finish the sweep and end the parent.
    else if (!interrupted.value) await parentLogger.detach();
  } else if (complete) {
    await tracking.setTerminated(parentRunId, status === 'FINISHED' ? 'FINISHED' : 'FAILED');
  }
  const summary: SweepSummary = {
    status, outcome, run_id: parentRunId, experiment_id: experimentId, sweep_id: sweepId,
    backend: engine.backend, device: engine.device, tracking_uri: tracking.uri, trials: counts,
    ...(spec.method !== 'grid' ? { search: { method: spec.method, seed: spec.seed, configurations: spec.trials! } } : {}),
    ...(budget.limited || stoppedBy ? { budget: { ...spec.budget, stopped_by: stoppedBy ?? null, not_started: stoppedBy ? notStarted : 0 } } : {}),
    best: best ? {
      run_id: best.rows[0].runId ?? '', run_ids: best.rows.map((r) => r.runId ?? ''), params: best.params, metrics: best.mean,
      selection: { metric: 'val/accuracy', value: best.selection ?? null, loss: best.selectionLoss ?? null, folds: best.n },
    } : null,
    ...(best ? {} : { best_reason: picked.reason }),
  };
  await tracking.close();
  phase('sweep: done');
  return { summary, rows: allRows, own, tracking, engine };
}

async function logSweepArtifacts(store: Store, parent: RunRecord, rows: TrialRow[], note: string, search: SearchSpec): Promise<void> {
  const table = formatTable(rows, note);
  await store.uploadArtifact(parent.info, 'sweep/summary.txt', Buffer.from(table + '\n'));
  const csv = formatCsv(['trial', 'label', 'fold', 'outcome', 'reason', 'run_id', 'accuracy', 'average_class_accuracy', 'macro_f1', 'auc'],
    rows.map((r) => [r.trial, r.label, r.fold, r.outcome, r.reason, r.runId, r.metrics.accuracy, r.metrics.average_class_accuracy, r.metrics.macro_f1, r.metrics.auc]));
  await store.uploadArtifact(parent.info, 'sweep/trials.csv', Buffer.from(csv));
  const metric = rows.some((r) => r.metrics.average_class_accuracy !== undefined) ? 'average_class_accuracy' : 'accuracy';
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r.params)))];
  if (keys.length && rows.some((r) => r.outcome === 'completed')) {
    {
      const spec = sweepSpec(rows.map((r) => ({ trial: r.trial, params: r.params, metrics: r.metrics, outcome: r.outcome, fold: r.fold })), {
        metric, x: keys.find((k) => /lr$/.test(k)) ?? keys[0], color: keys.find((k) => !/lr$/.test(k)),
      });
      const svg = await renderSvg(spec);
      await store.uploadArtifact(parent.info, 'plots/sweep.svg', Buffer.from(svg));
      await store.uploadArtifact(parent.info, 'plots/sweep.png', await svgToPng(svg, 'sweep', 2));
    }
  }
  // A search (random, tpe, or any sweep with pruning): how it went, trial by trial.
  if ((search.method !== 'grid' || search.prune) && keys.length && rows.some((r) => r.outcome === 'completed')) {
    const trials = searchTrials(rows);
    const plot = searchPlotSpec(trials, {
      title: `Search (${search.method}${search.prune ? ` + ${search.prune.method} pruning` : ''})`,
      importance: paramImportance(trials.filter((t) => t.outcome === 'completed')), importanceMethod: IMPORTANCE_METHOD,
    });
    const svg = await renderSvg(plot);
    await store.uploadArtifact(parent.info, 'plots/search.svg', Buffer.from(svg));
    await store.uploadArtifact(parent.info, 'plots/search.png', await svgToPng(svg, 'search', 2));
    await store.uploadArtifact(parent.info, 'plots/search.vl.json', Buffer.from(JSON.stringify(plot)));
  }
}

/** What the search plots read of a sweep's rows: the objective (best-epoch validation accuracy) per trial. */
export function searchTrials(rows: TrialRow[]): SearchTrial[] {
  return rows.map((r) => ({ trial: r.trial, params: r.params, value: r.selection ?? null, outcome: r.outcome, ...(r.fold !== undefined ? { fold: r.fold } : {}) }));
}

/** One trial of the sweep as a child of run R, in a worker process (`--worker --parent-run-id R --sweep-id S`; see worker-pool.ts). */
export async function runWorkerTrial(resolved: ResolvedExperiment, o: { trial: number; parentRunId: string; sweepId: string; trackingUri?: string; log?: (l: string) => void; cwd?: string; progress?: ProgressMode;
  /** tpe: the params the sweep chose for this trial. */ params?: Record<string, unknown>;
  /** What the worker loaded while it waited (warmWorker). */ warm?: WarmWorker }) {
  const cwd = o.cwd ?? process.cwd();
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const { config } = resolved;
  const projectRoot = findProjectRoot(resolved.file ? path.dirname(resolved.file) : cwd);
  const trackingUri = resolveTrackingUri({ cli: o.trackingUri, config: config.tracking.uri, projectRoot });
  const experimentName = resolveExperimentName({ config: config.tracking.experiment, fileName: config.name });
  const all = expandTrials(config, projectRoot);
  const spec = searchSpec(config);
  const listed = all[o.trial];
  if (!listed) throw new Error(`trial ${o.trial}: the sweep has ${all.length} trial(s) (0..${all.length - 1})`);
  if (listed.pending && !o.params) throw new Error(`trial ${o.trial}: a tpe trial's params are chosen by the sweep and sent with the trial (a bug: please report it)`);
  const t = o.params ? withParams(config, listed, o.params, projectRoot) : listed;
  // The warm-up's engine start first: two starts at once would race.
  phase(`worker: trial ${o.trial} received`);
  await o.warm?.ready;
  const engine = await initEngine({ log });
  const warmData = await o.warm?.take(t.config, t.fold);
  if (warmData) checkTrialData(t.config, warmData);
  const data = warmData ?? await loadTrialData(t.config, { fold: t.fold, progress: o.progress, log });
  phase(`worker: trial ${o.trial} engine and data ready (${warmData ? 'warm' : 'loaded now'})`);
  const tracking = await openTracking({ uri: trackingUri, log });
  try {
    const experimentId = await tracking.getOrCreateExperiment(experimentName);
    const r = await runTrial({
      resolved: { ...resolved, config: t.config }, tracking, experimentId, engine, projectRoot, fold: t.fold,
      parentRunId: o.parentRunId, runName: trialRunName(config.name, t.config, { params: t.params, fold: t.fold, projectRoot }),
      extraTags: { [SWEEP_ID_TAG]: o.sweepId, [TRIAL_INDEX_TAG]: String(t.index), [TRIAL_PARAMS_TAG]: JSON.stringify(t.params) }, progress: o.progress, log, params: t.params,
      pruner: spec.prune ? createPruner({ spec: spec.prune, tracking, experimentId, sweepId: o.sweepId, epochs: t.config.train.epochs, point: t.point, seed: spec.seed }) : undefined,
    }, data);
    phase(`worker: trial ${o.trial} end`);
    return {
      status: r.status, outcome: r.outcome, run_id: r.runId, experiment_id: experimentId, backend: engine.backend,
      device: engine.device, tracking_uri: tracking.uri, metrics: pickReported(r.metrics), ...(r.reason ? { reason: r.reason } : {}),
    };
  } finally {
    await tracking.close();
  }
}

/** In a sweep worker (`--worker`), after its trials: the error analysis of the sweep's best run (see workerAnalysis). */
export async function analyseInWorker(resolved: ResolvedExperiment, request: AnalyseRequest, o: { trackingUri?: string; say: (l: string) => void; warm?: WarmWorker; cwd?: string }): Promise<string[]> {
  const projectRoot = findProjectRoot(resolved.file ? path.dirname(resolved.file) : o.cwd ?? process.cwd());
  const trackingUri = resolveTrackingUri({ cli: o.trackingUri, config: resolved.config.tracking.uri, projectRoot });
  await o.warm?.ready;
  await initEngine({ log: o.say });
  const tracking = await openTracking({ uri: trackingUri, log: o.say });
  try {
    return await logErrorAnalysis(tracking, request.runIds, { ...request.options, log: o.say });
  } finally {
    await tracking.close();
  }
}

/** A sweep worker's warm-up: the engine, and the data of the trial it will likely run first. */
export interface WarmWorker {
  /** Settles when the warm-up's engine start has (the trial's own initEngine then returns that engine). */
  ready: Promise<unknown>;
  /** The data loaded ahead for this trial's config and fold, once; undefined when it was for other data (or failed: the trial loads it again and reports why). */
  take(config: ResolvedExperiment['config'], fold?: number): Promise<TrialData | undefined>;
  /** Close data that no trial took. */
  release(): void;
}

/**
 * Started by `run-experiment --worker` before the first trial arrives: engine start and
 * (with `trial`) that trial's data load run while the sweep creates its parent run.
 * Errors are kept quiet here: the trial that needs the engine or data meets them again.
 */
export function warmWorker(resolved: ResolvedExperiment, o: { trial?: number; cwd?: string } = {}): WarmWorker {
  const quiet = () => undefined;
  const engine = initEngine({ log: quiet }).then((e) => { phase('worker: warm engine ready'); return e; }).catch(quiet);
  let ahead: { key: string; data: Promise<TrialData | undefined> } | undefined;
  if (o.trial !== undefined) {
    const projectRoot = findProjectRoot(resolved.file ? path.dirname(resolved.file) : o.cwd ?? process.cwd());
    const t = expandTrials(resolved.config, projectRoot)[o.trial];
    const key = t && trialDataKey(t.config, t.fold);
    if (t && key) ahead = { key, data: engine.then(() => loadTrialData(t.config, { fold: t.fold, progress: 'off' })).then((d) => { phase('worker: warm data ready'); return d; }).catch(quiet) };
  }
  return {
    ready: engine,
    async take(config, fold) {
      const a = ahead;
      ahead = undefined;
      if (!a) return undefined;
      if (a.key === trialDataKey(config, fold)) return a.data;
      void a.data.then((d) => d?.close());
      return undefined;
    },
    release() {
      void ahead?.data.then((d) => d?.close());
      ahead = undefined;
    },
  };
}
