// `cellab synth --out DIR --kind patterns|intensity|lymphocytosis [--n N] [--seed S] [--anomalies F]`:
// write a synthetic HEp-2 set (ICPR 2012 layout, or A.I.D.A.-like positive/negative), or
// lymphocytosis patients in the DLMI layout (bags of blood-cell crops + clinical data).
import type { CommandModule } from 'yargs';
import { DEFAULT_ANOMALY_FRACTION, DEFAULT_N, DEFAULT_PATIENTS, DEFAULT_SEED, generateLymphocytosis, generateSynthetic, type LymphocytosisSummary, type SynthKind, type SynthSummary } from '../data/synth/index';
import { reportError } from './exit';

interface Args { out: string; kind: SynthKind | 'lymphocytosis'; n?: number; seed: number; anomalies: number; json: boolean }

/** One line per count table: `centromere 357, coarse_speckled 210, ...`. */
const counts = (c: Record<string, number>) => Object.entries(c).map(([k, v]) => `${k || '(none)'} ${v}`).join(', ');

export function summaryLines(s: SynthSummary | LymphocytosisSummary): string[] {
  if (s.kind === 'lymphocytosis') {
    return [
      `wrote ${s.n} labelled + ${s.testPatients} unlabelled patients (${s.images} cell images) to ${s.out} in ${s.seconds.toFixed(1)} s`,
      `  labels:   ${counts(s.byLabel)}`,
      `  subtypes: ${counts(s.bySubtype)}`,
    ];
  }
  return [
    `wrote ${s.n} ${s.kind === 'patterns' ? 'cells' : 'images'} (${s.files} files, ${s.specimens} specimens) to ${s.out} in ${s.seconds.toFixed(1)} s`,
    `  patterns:  ${counts(s.byPattern)}`,
    `  intensity: ${counts(s.byIntensity)}`,
    ...(s.kind === 'patterns' ? [`  split:     ${counts(s.bySplit)}`] : []),
    `  anomalies: ${counts(s.byAnomaly) || 'none'} (fraction ${s.anomalyFraction}; column \`anomaly\` of synth.csv)`,
  ];
}

/** A progress line: redrawn in place on a terminal, a few plain lines otherwise (logs, CI). */
function progressPrinter(stream: NodeJS.WriteStream): (done: number, total: number) => void {
  let lastQuarter = 0;
  let lastDraw = 0;
  return (done, total) => {
    if (stream.isTTY) {
      const now = performance.now();
      if (done < total && now - lastDraw < 100) return;
      lastDraw = now;
      stream.write(`\rsynth: ${done}/${total} (${Math.floor((100 * done) / total)}%)${done === total ? '\n' : ''}`);
      return;
    }
    const quarter = Math.floor((4 * done) / total);
    if (quarter > lastQuarter) {
      lastQuarter = quarter;
      stream.write(`synth: ${done}/${total} (${quarter * 25}%)\n`);
    }
  };
}

export const synthCommand: CommandModule<object, Args> = {
  command: 'synth',
  describe: 'generate a synthetic set: HEp-2 staining patterns (ICPR 2012 layout), A.I.D.A.-like positive/negative, or lymphocytosis patients (DLMI layout)',
  builder: (y) => y
    .option('out', { type: 'string', demandOption: true, describe: 'folder to write (created; an earlier synthetic set there is replaced)' })
    .option('kind', { choices: ['patterns', 'intensity', 'lymphocytosis'] as const, default: 'patterns' as SynthKind,
      describe: 'patterns: ICPR 2012 layout (cells.csv, training/, test/); intensity: images/ + labels.csv; lymphocytosis: clinical_annotation.csv + trainset/<ID>/*.jpg' })
    .option('n', { type: 'number', describe: `number of cells/images (default ${DEFAULT_N.patterns} for patterns, ${DEFAULT_N.intensity} for intensity); of labelled patients for lymphocytosis (default ${DEFAULT_PATIENTS})` })
    .option('seed', { type: 'number', default: DEFAULT_SEED, describe: 'the same seed gives byte-identical files' })
    .option('anomalies', { type: 'number', default: DEFAULT_ANOMALY_FRACTION, describe: 'fraction of planted anomalies (saturated, near-black, defocused); HEp-2 kinds only' })
    .option('json', { type: 'boolean', default: false, describe: 'print the summary as one JSON object (last line)' })
    .example('$0 synth --out data/hep2-synth --kind patterns --n 1455 --seed 1', 'the ICPR-2012-sized default set')
    .example('$0 synth --out data/aida-synth --kind intensity --seed 2 --anomalies 0.05', 'A.I.D.A.-like set, 5% anomalies')
    .example('$0 synth --out data/lymphocytosis --kind lymphocytosis --n 163 --seed 4', '163 patients (about 50 reactive, 113 malignant), 5-50 cells each') as never,
  handler: async (args) => {
    try {
      const summary = args.kind === 'lymphocytosis'
        ? await generateLymphocytosis({ out: args.out, n: args.n, seed: args.seed, onProgress: progressPrinter(process.stderr) })
        : await generateSynthetic({
          out: args.out,
          kind: args.kind,
          n: args.n,
          seed: args.seed,
          anomalyFraction: args.anomalies,
          onProgress: progressPrinter(process.stderr),
        });
      if (args.json) process.stdout.write(JSON.stringify(summary) + '\n');
      else process.stdout.write(summaryLines(summary).join('\n') + '\n');
    } catch (err) {
      process.exitCode = reportError(err, { json: args.json });
    }
  },
};
