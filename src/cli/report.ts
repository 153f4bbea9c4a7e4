// `cellab report EXPERIMENT.yaml|STORE [--experiment NAME] [--runs ID ...] [--tracking-uri URI] --out report.html`:
// one self-contained HTML file comparing an experiment's runs (default: its latest sweep).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CommandModule } from 'yargs';
import { loadExperimentFile } from '../experiment/config';
import { buildReport } from '../experiment/report';
import { openTracking, findProjectRoot, resolveExperimentName, resolveTrackingUri, type Tracking } from '../tracking/index';
import { ConfigError } from '../engine/schema';
import { reportError } from './exit';

interface Args { source: string; experiment?: string; runs: string[]; 'tracking-uri'?: string; set: string[]; profile?: string; out: string; json: boolean }

/** The store and experiment a report reads: from an experiment file (as run-experiment would log), or a store given directly. */
async function resolveSource(args: Args): Promise<{ tracking: Tracking; experiment: { id: string; name: string } }> {
  const isFile = /\.ya?ml$/i.test(args.source) && fs.existsSync(args.source) && fs.statSync(args.source).isFile();
  let uri: string, name: string | undefined;
  if (isFile) {
    const resolved = loadExperimentFile(args.source, { set: args.set, profile: args.profile });
    const projectRoot = findProjectRoot(path.dirname(resolved.file!));
    uri = resolveTrackingUri({ cli: args['tracking-uri'], config: resolved.config.tracking.uri, projectRoot });
    name = args.experiment ?? resolveExperimentName({ config: resolved.config.tracking.experiment, fileName: resolved.config.name });
  } else {
    if (args['tracking-uri']) throw new ConfigError([`give either a store (${args.source}) or --tracking-uri, not both`]);
    if (!/^https?:/.test(args.source) && !fs.existsSync(args.source.replace(/^file:\/\//, ''))) {
      throw new ConfigError([`${args.source} is neither an experiment file (.yaml) nor a tracking store (a folder, file: or http(s) URI)`]);
    }
    uri = args.source;
    name = args.experiment;
  }
  const tracking = await openTracking({ uri, log: (l) => process.stderr.write(l + '\n') });
  const experiments = (await tracking.store.listExperiments()).filter((e) => e.lifecycleStage === 'active');
  if (!name) {
    const named = experiments.filter((e) => e.name !== 'Default');
    if (named.length !== 1) {
      await tracking.close();
      throw new ConfigError([`${tracking.uri} holds ${named.length} experiments: choose one with --experiment NAME (${named.map((e) => e.name).join(', ') || 'none'})`]);
    }
    name = named[0].name;
  }
  const found = experiments.find((e) => e.name === name);
  if (!found) {
    await tracking.close();
    throw new ConfigError([`experiment '${name}' is not in ${tracking.uri}. Experiments: ${experiments.map((e) => e.name).join(', ') || 'none'}`]);
  }
  return { tracking, experiment: { id: found.experimentId, name } };
}

export const reportCommand: CommandModule<object, Args> = {
  command: 'report <source>',
  describe: "one self-contained HTML file comparing an experiment's runs: parameters that differ, sortable metrics, curves, confusion matrices, the best run's galleries",
  builder: (y) => y
    .positional('source', { type: 'string', demandOption: true, describe: 'an experiment file (its store and experiment, as run-experiment logs them) or a tracking store (path or URI)' })
    .option('experiment', { type: 'string', describe: 'experiment name (default: from the file, or the store\'s only experiment)' })
    .option('runs', { type: 'string', array: true, default: [], describe: 'run ids to compare; a sweep parent brings its trials (default: the latest sweep, else the latest runs)' })
    .option('tracking-uri', { type: 'string', describe: 'with an experiment file: the store to read (default as run-experiment)' })
    .option('set', { type: 'string', array: true, default: [], describe: 'with an experiment file: --set overrides (they may change tracking.*)' })
    .option('profile', { type: 'string', describe: 'with an experiment file: a profile (default: $CELLAB_PROFILE)' })
    .option('out', { type: 'string', default: 'report.html', describe: 'the HTML file to write' })
    .option('json', { type: 'boolean', default: false, describe: 'print {out, runs, charts, images, best_run_ids} as one JSON object (last line)' })
    .example('$0 report experiments/hep2-patterns.yaml --out hep2.html', 'the latest hep2-patterns sweep')
    .example('$0 report tracking/mlruns --experiment quickstart --runs 3f2a... 9c1b...', 'two runs from the local store') as never,
  handler: async (args) => {
    let tracking: Tracking | undefined;
    try {
      const src = await resolveSource(args);
      tracking = src.tracking;
      const r = await buildReport(tracking, src.experiment, { runIds: args.runs });
      fs.mkdirSync(path.dirname(path.resolve(args.out)), { recursive: true });
      fs.writeFileSync(args.out, r.html);
      const summary = { out: path.resolve(args.out), bytes: Buffer.byteLength(r.html), runs: r.runs.length, parent_run_id: r.parent?.info.runId ?? null, charts: r.charts, images: r.images, best_run_ids: r.bestRunIds };
      if (args.json) process.stdout.write(JSON.stringify(summary) + '\n');
      else process.stdout.write(`wrote ${args.out} (${(summary.bytes / 1e6).toFixed(1)} MB): ${r.runs.length} run(s), ${r.charts} chart(s), ${r.images} picture(s); open it in any browser (no network needed)\n`);
    } catch (err) {
      process.exitCode = reportError(err, { json: args.json });
    } finally {
      await tracking?.close();
    }
  },
};
