// `run-experiment FILE [--set key=value ...] [--profile NAME] [--dry-run]
//   [--parallel N] [--resume] [--shard i/n|auto] [--tracking-uri URI] [--json]`
import yargs from 'yargs';
import { loadExperimentFile, type ResolvedExperiment } from '../experiment/config';
import { runExperiment } from '../experiment/run';
import { expandTrials, isSweep, shardTrials } from '../experiment/trials';
import { analyseInWorker, bestLine, formatTable, parseShard, rankConfigurations, runSweep, runWorkerTrial, warmWorker } from '../experiment/sweep';
import { pickBest } from '../experiment/selection';
import { serveTrials } from '../experiment/worker-pool';
import { searchSpec } from '../experiment/search-space';
import { describePruning } from '../experiment/pruning';
import { findProjectRoot } from '../tracking/index';
import { EXIT, reportError } from './exit';
import { phase } from '../experiment/timing';
import * as path from 'node:path';

export async function main(argv: string[]): Promise<number> {
  phase('cli: modules loaded');
  process.once('exit', () => phase('cli: exit'));
  const args = await yargs(argv)
    .scriptName('run-experiment')
    .usage('$0 FILE [options]\n\nRun an experiment file (YAML) and log every run to MLflow. A file with a `sweep` (or a k-fold split)\nruns one parent run and one child run per trial.')
    .command('$0 <file>', 'run an experiment file', (y) => y.positional('file', { type: 'string', describe: 'experiment file (YAML)', demandOption: true }))
    .option('set', { type: 'string', array: true, default: [], describe: 'override a config key: --set train.epochs=2, --set sweep.train.lr=[0.01,0.001] (value parsed as YAML; repeatable)' })
    .option('profile', { type: 'string', describe: 'apply a profile from the file (default: $CELLAB_PROFILE)' })
    .option('tracking-uri', { type: 'string', describe: 'MLflow server URL or local store path (default: $MLFLOW_TRACKING_URI, tracking.uri, tracking/mlruns)' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'list the trials (params, fold, config hash) and exit' })
    .option('parallel', { type: 'number', describe: 'trials at once, in worker processes that each run trials one after another (default: workers x wasm threads <= cores)' })
    .option('resume', { type: 'boolean', default: false, describe: 'skip trials whose config hash already has a FINISHED (or diverged / collapsed) run' })
    .option('shard', { type: 'string', describe: 'run every n-th trial: i/n with i 0-based (0 <= i < n, as SLURM_ARRAY_TASK_ID with --array=0-N and JOB_COMPLETION_INDEX are), or auto to read them. A shard exits by its own trials; trials other shards are running count as `running`' })
    .option('sweep-id', { type: 'string', describe: 'id that groups shards under one parent (default: from the config and $SLURM_ARRAY_JOB_ID)' })
    .option('json', { type: 'boolean', default: false, describe: 'print the result as one JSON object on the last line' })
    .option('worker', { type: 'boolean', hidden: true, describe: 'worker mode (started by --parallel): run the trials the sweep sends over IPC' })
    .option('parent-run-id', { type: 'string', hidden: true })
    .option('warm-trial', { type: 'number', hidden: true, describe: 'worker mode: the trial whose data to load while waiting for the first one' })
    .example('$0 experiments/quickstart.yaml', 'train the quickstart (generates synthetic data if absent)')
    .example('$0 experiments/quickstart.yaml --set train.epochs=2 --json', 'a shorter run, machine-readable result')
    .example('$0 experiments/hep2-patterns.yaml --dry-run', 'list the trials of a sweep')
    .example('$0 experiments/protein-localisation.yaml --shard auto --resume', 'one task of a Slurm array job (see tracking/slurm-sweep.sbatch)')
    .example('$0 experiments/protein-localisation.yaml --profile search --dry-run', 'a tpe search with ASHA pruning: its first trials, and how the rest are chosen')
    .epilogue('Exit codes: 0 all completed; 2 a run or some trial diverged, collapsed or failed; 1 bad config or input (nothing ran); 130 interrupted.')
    .strict()
    .help()
    .version(false)
    .exitProcess(false)
    .fail((msg, err) => { throw err ?? new Error(msg); })
    .parseAsync()
    .catch((err: Error) => {
      process.stderr.write(`error: ${err.message}\nRun \`run-experiment --help\` for usage.\n`);
      return undefined;
    });
  if (!args) return EXIT.badInput;
  if (args.help) return EXIT.ok;
  const json = args.json;
  try {
    const resolved = loadExperimentFile(String(args.file), { set: args.set as string[], profile: args.profile });
    const shard = args.shard ? parseShard(args.shard) : undefined;
    if (args['dry-run']) return dryRun(resolved, shard, json);
    if (args.worker) {
      // Warm up while the sweep creates its parent run and sends the first trial.
      const warm = warmWorker(resolved, { trial: args['warm-trial'] });
      await serveTrials((r) => {
        const parentRunId = r.parentRunId ?? args['parent-run-id'], sweepId = r.sweepId ?? args['sweep-id'];
        if (!parentRunId || !sweepId) throw new Error('--worker: a trial needs the sweep\'s parent run id and sweep id (sent with the trial, or --parent-run-id and --sweep-id)');
        return runWorkerTrial(resolved, { trial: r.trial, parentRunId, sweepId, trackingUri: args['tracking-uri'], params: r.params, warm });
      }, (r, say) => analyseInWorker(resolved, r, { trackingUri: args['tracking-uri'], say, warm }));
      warm.release();
      return EXIT.ok;
    }
    if (isSweep(resolved.config) || shard || args.resume) {
      const workerArgs = [String(args.file), ...(args.set as string[]).flatMap((s) => ['--set', s]), ...(args.profile ? ['--profile', args.profile] : [])];
      const { summary, rows, own } = await runSweep(resolved, {
        trackingUri: args['tracking-uri'], parallel: args.parallel, resume: args.resume, shard, sweepId: args['sweep-id'], workerArgs,
      });
      process.stderr.write(`\n${formatTable(rows, bestLine(pickBest(rankConfigurations(rows)).best, summary.best_reason))}\n\n`);
      if (json) process.stdout.write(JSON.stringify(summary) + '\n');
      else {
        const t = summary.trials;
        process.stdout.write(`sweep ${summary.outcome}: ${t.finished}/${t.total} finished, ${t.diverged} diverged, ${t.failed} failed` +
          `${t.pruned ? `, ${t.pruned} pruned` : ''}${t.running ? `, ${t.running} running elsewhere` : ''}` +
          `${summary.budget?.stopped_by ? `; stopped by ${summary.budget.stopped_by} (${summary.budget.not_started} not started; --resume continues)` : ''}; parent run ${summary.run_id}\n`);
      }
      if (summary.status === 'KILLED') return EXIT.interrupted;
      // A shard judges by its own trials: another shard's running trial is not a failure here; pruned
      // trials were stopped on purpose and trials a budget left unstarted were never run.
      return own.some((r) => r.outcome !== 'completed' && r.outcome !== 'pruned' && r.outcome !== 'skipped') ? EXIT.failed : EXIT.ok;
    }
    const { summary } = await runExperiment(resolved, { trackingUri: args['tracking-uri'] });
    if (json) process.stdout.write(JSON.stringify(summary) + '\n');
    else printMetrics(summary.metrics);
    return summary.outcome === 'completed' ? EXIT.ok : EXIT.failed;
  } catch (err) {
    return reportError(err, { json });
  }
}

function dryRun(resolved: ResolvedExperiment, shard: ReturnType<typeof parseShard> | undefined, json: boolean): number {
  const projectRoot = findProjectRoot(resolved.file ? path.dirname(resolved.file) : process.cwd());
  const trials = shardTrials(expandTrials(resolved.config, projectRoot), shard);
  const spec = searchSpec(resolved.config);
  // tpe trials after the startup ones have no params yet: they are chosen when launched.
  const out = trials.map((t) => ({ index: t.index, params: t.pending ? null : t.params, fold: t.fold ?? null, config_hash: t.pending ? null : t.configHash }));
  const later = spec.method === 'tpe' && trials.some((t) => t.pending)
    ? `the trials after the first ${Math.min(spec.tpe.startup, spec.trials!)} configuration(s) are chosen at launch by tpe: per key, the finished trials of this sweep (all workers, shards and resumes, read from the tracking store) are split at gamma ${spec.tpe.gamma} into good and bad, and the best of ${spec.tpe.candidates} draws from the good density by l(x)/g(x) is taken (seeded by seed ${spec.seed} and the trial)`
    : undefined;
  const how = spec.method === 'grid' ? 'grid' : spec.method === 'random' ? `random (seed ${spec.seed})` : `tpe (seed ${spec.seed}; the first ${Math.min(spec.tpe.startup, spec.trials!)} configuration(s) at random)`;
  const extras = [
    ...(spec.prune ? [`pruning: ${spec.prune.method} on ${spec.prune.metric}${describePruning(spec.prune, resolved.config.train.epochs)}`] : []),
    ...(spec.budget.trials !== undefined || spec.budget.minutes !== undefined ? [`budget: ${[spec.budget.trials !== undefined ? `${spec.budget.trials} trial(s)` : '', spec.budget.minutes !== undefined ? `${spec.budget.minutes} minute(s)` : ''].filter(Boolean).join(', ')}`] : []),
  ];
  if (json) {
    process.stdout.write(JSON.stringify({ trials: out, ...(spec.method !== 'grid' ? { method: spec.method } : {}), ...(later ? { note: later } : {}) }) + '\n');
  } else {
    for (const t of out) {
      const what = t.params === null ? '(chosen at launch by tpe)' : JSON.stringify(t.params);
      process.stdout.write(`${String(t.index).padStart(3)}  ${t.config_hash ?? '-'.repeat(16)}  ${what}${t.fold !== null ? `  fold ${t.fold}` : ''}\n`);
    }
    process.stdout.write(`${out.length} trial(s), ${how}${extras.length ? `; ${extras.join('; ')}` : ''}\n`);
    if (later) process.stdout.write(`${later}\n`);
  }
  return EXIT.ok;
}

function printMetrics(metrics: Record<string, number>): void {
  const rows = Object.entries(metrics).map(([k, v]) => `  ${k.padEnd(24)} ${v.toFixed(4)}`);
  if (rows.length) process.stdout.write(`test metrics:\n${rows.join('\n')}\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT.badInput;
  });
}
