// `run-experiment FILE [--set key=value ...] [--profile NAME] [--tracking-uri URI] [--json]`
import yargs from 'yargs';
import { loadExperimentFile } from '../experiment/config';
import { runExperiment } from '../experiment/run';
import { EXIT, reportError } from './exit';

export async function main(argv: string[]): Promise<number> {
  const args = await yargs(argv)
    .scriptName('run-experiment')
    .usage('$0 FILE [options]\n\nRun an experiment file (YAML) and log every run to MLflow.')
    .command('$0 <file>', 'run an experiment file', (y) => y.positional('file', { type: 'string', describe: 'experiment file (YAML)', demandOption: true }))
    .option('set', { type: 'string', array: true, default: [], describe: 'override a config key: --set train.epochs=2 (value parsed as YAML; repeatable)' })
    .option('profile', { type: 'string', describe: 'apply a profile from the file (default: $CELLAB_PROFILE)' })
    .option('tracking-uri', { type: 'string', describe: 'MLflow server URL or local store path (default: $MLFLOW_TRACKING_URI, tracking.uri, tracking/mlruns)' })
    .option('json', { type: 'boolean', default: false, describe: 'print the result as one JSON object on the last line' })
    .example('$0 experiments/quickstart.yaml', 'train the quickstart (generates synthetic data if absent)')
    .example('$0 experiments/quickstart.yaml --set train.epochs=2 --json', 'a shorter run, machine-readable result')
    .epilogue('Exit codes: 0 completed; 2 a run diverged or failed; 1 bad config or input (nothing ran); 130 interrupted.')
    .strict()
    .help()
    .version(false)
    .exitProcess(false)
    .fail((msg, err) => { throw err ?? new UsageError(msg); })
    .parseAsync();
  if (args.help) return EXIT.ok;
  try {
    const resolved = loadExperimentFile(String(args.file), { set: args.set as string[], profile: args.profile });
    const { summary } = await runExperiment(resolved, { trackingUri: args['tracking-uri'] });
    if (args.json) process.stdout.write(JSON.stringify(summary) + '\n');
    else printSummary(summary.metrics);
    return summary.outcome === 'completed' ? EXIT.ok : EXIT.failed;
  } catch (err) {
    return reportError(err, { json: args.json });
  }
}

function printSummary(metrics: Record<string, number>): void {
  const rows = Object.entries(metrics).map(([k, v]) => `  ${k.padEnd(24)} ${v.toFixed(4)}`);
  if (rows.length) process.stdout.write(`test metrics:\n${rows.join('\n')}\n`);
}

export class UsageError extends Error {}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = EXIT.badInput;
  });
}
