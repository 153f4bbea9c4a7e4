// `cellab push --from DIR --to URI [--experiment NAME] [--to-experiment NAME] [--json]`:
// replay the runs of a local store (a laptop's tracking/mlruns, a cluster
// node's spool) into an MLflow server. Pushing twice creates no duplicates.
import type { CommandModule } from 'yargs';
import { MlflowAuthError, pushRuns, type PushReport } from '../tracking/index';

export interface PushArgs {
  from: string;
  to: string;
  experiment?: string;
  'to-experiment'?: string;
  json: boolean;
}

/** Errors the user fixes by changing the command line: exit code 1. */
function isInputError(e: unknown): boolean {
  const m = (e as Error)?.message ?? '';
  return e instanceof MlflowAuthError || /^push[ :]|tracking URI '/.test(m);
}

export function pushSummary(r: PushReport): string {
  const t = r.totals;
  return `pushed ${r.runs.length} run(s) from ${r.from} to ${r.to}: ${t.created} created, ${t.updated} updated, ${t.unchanged} unchanged; ` +
    `${t.metrics} metric points, ${t.artifacts} artifacts sent` + (r.skipped.length ? `; ${r.skipped.length} skipped (deleted locally)` : '');
}

export const pushCommand: CommandModule<object, PushArgs> = {
  command: 'push',
  describe: 'copy the runs of a local store to an MLflow server (idempotent: pushing twice makes no duplicates)',
  builder: (y) =>
    y
      .option('from', { type: 'string', demandOption: true, describe: 'local store folder, e.g. tracking/mlruns' })
      .option('to', { type: 'string', demandOption: true, describe: 'MLflow server URL (credentials: MLFLOW_TRACKING_USERNAME/PASSWORD or MLFLOW_TRACKING_TOKEN), or another store folder' })
      .option('experiment', { type: 'string', describe: 'push only the local experiment with this name' })
      .option('to-experiment', { type: 'string', describe: 'put the runs into this experiment on the target (default: the same name)' })
      .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on the last line' })
      .example('$0 push --from tracking/mlruns --to http://mlflow.lab:5000', 'everything recorded locally (or spooled during an outage)')
      .example('$0 push --from /scratch/mlruns --to https://mlflow.lab --experiment hep2-patterns --json', 'one experiment, machine-readable') as never,
  handler: async (args) => {
    try {
      const report = await pushRuns({
        from: args.from,
        to: args.to,
        experiment: args.experiment,
        toExperiment: args['to-experiment'],
        log: args.json ? (line) => process.stderr.write(`${line}\n`) : (line) => process.stdout.write(`${line}\n`),
      });
      const summary = pushSummary(report);
      if (args.json) {
        process.stderr.write(`${summary}\n`);
        process.stdout.write(JSON.stringify({ status: 'FINISHED', ...report }) + '\n');
      } else {
        process.stdout.write(`${summary}\n`);
      }
      process.exitCode = 0;
    } catch (err) {
      // DESIGN.md exit codes: 1 bad input (nothing ran), 2 anything else that failed.
      process.stderr.write(`error: ${(err as Error).message}\n`);
      if (args.json) process.stdout.write(JSON.stringify({ status: 'FAILED', error: (err as Error).message }) + '\n');
      process.exitCode = isInputError(err) ? 1 : 2;
    }
  },
};
