// `cellab lr-find FILE [--set key=value ...] [--profile NAME] [--steps N] [--start-lr X] [--end-lr Y]
//   [--tracking-uri URI] [--out plot.png] [--json]`: the LR range test of an experiment file.
import type { CommandModule } from 'yargs';
import { loadExperimentFile } from '../experiment/config';
import { runLrFind, suggestedLr } from '../experiment/lr-find';
import { writePlot } from '../plots/render';
import { reportError } from './exit';

interface Args { file: string; set: string[]; profile?: string; steps: number; 'start-lr': number; 'end-lr': number; 'tracking-uri'?: string; out?: string; json: boolean }

export const lrFindCommand: CommandModule<object, Args> = {
  command: 'lr-find <file>',
  describe: 'LR range test: train ~100 steps with an exponentially growing learning rate, plot the loss, suggest a learning rate (logged as a run)',
  builder: (y) => y
    .positional('file', { type: 'string', demandOption: true, describe: 'experiment file (YAML); a sweep uses its first configuration' })
    .option('set', { type: 'string', array: true, default: [], describe: 'override a config key (as run-experiment --set)' })
    .option('profile', { type: 'string', describe: 'apply a profile from the file (default: $CELLAB_PROFILE)' })
    .option('steps', { type: 'number', default: 100, describe: 'steps (batches) at most' })
    .option('start-lr', { type: 'number', default: 1e-7, describe: 'first learning rate' })
    .option('end-lr', { type: 'number', default: 10, describe: 'last learning rate (the test usually stops before, when the loss diverges)' })
    .option('tracking-uri', { type: 'string', describe: 'MLflow server URL or local store path' })
    .option('out', { type: 'string', describe: 'also write the plot to this file (.png, .svg, .html or .vl.json)' })
    .option('json', { type: 'boolean', default: false, describe: 'print {run_id, suggestions, steps, stopped, reason} as one JSON object (last line)' })
    .example('$0 lr-find experiments/quickstart.yaml --out lr.png', 'suggest train.lr for the quickstart') as never,
  handler: async (args) => {
    try {
      const resolved = loadExperimentFile(args.file, { set: args.set, profile: args.profile });
      const r = await runLrFind(resolved, { steps: args.steps, startLr: args['start-lr'], endLr: args['end-lr'], trackingUri: args['tracking-uri'] });
      if (args.out) await writePlot(r.spec, args.out);
      const summary = {
        status: 'FINISHED', run_id: r.run_id, experiment_id: r.experiment_id, tracking_uri: r.tracking_uri, suggested_lr: suggestedLr(r.suggestions) ?? null,
        suggestions: { steepest: r.suggestions.steepest ?? null, minimum_div10: r.suggestions['minimum/10'] ?? null },
        steps: r.points.length, stopped: r.stopped, reason: r.reason,
      };
      if (args.json) process.stdout.write(JSON.stringify(summary) + '\n');
      else {
        process.stdout.write(`suggested learning rate: ${summary.suggested_lr?.toPrecision(3) ?? 'none'}` +
          ` (steepest ${summary.suggestions.steepest?.toPrecision(3) ?? '–'}, minimum/10 ${summary.suggestions.minimum_div10?.toPrecision(3) ?? '–'});` +
          ` ${r.points.length} steps, ${r.reason}; run ${r.run_id}${args.out ? `; plot ${args.out}` : ''}\n`);
      }
    } catch (err) {
      process.exitCode = reportError(err, { json: args.json });
    }
  },
};
