// `cellab synth --out DIR --kind patterns|intensity|lymphocytosis|protein [--n N] [--seed S] [--anomalies F] [--size PX]`:
// write a synthetic HEp-2 set (ICPR 2012 layout, or A.I.D.A.-like positive/negative),
// lymphocytosis patients in the DLMI layout (bags of blood-cell crops + clinical data), or
// an HPA-2021-like multi-label protein localisation set (4 stains per field image).
import type { CommandModule } from 'yargs';
import {
  DEFAULT_ANOMALY_FRACTION, DEFAULT_N, DEFAULT_PATIENTS, DEFAULT_SEED, generateLymphocytosis, generateProteinSynthetic, generateSynthetic,
  PROTEIN_DEFAULT_ANOMALIES, PROTEIN_DEFAULT_N, type LymphocytosisSummary, type ProteinSummary, type SynthKind, type SynthSummary,
} from '../data/synth/index';
import { reportError } from './exit';
import { DataError } from '../data/bad-input';

interface Args { out: string; kind: SynthKind | 'lymphocytosis' | 'protein'; n?: number; seed: number; anomalies?: number; size?: number; json: boolean }

/** One line per count table: `centromere 357, coarse_speckled 210, ...`. */
const counts = (c: Record<string, number>) => Object.entries(c).map(([k, v]) => `${k || '(none)'} ${v}`).join(', ');

export function summaryLines(s: SynthSummary | LymphocytosisSummary | ProteinSummary): string[] {
  if (s.kind === 'protein') {
    return [
      `wrote ${s.n} field images of ${s.size}x${s.size} px (${s.cells} cells, 4 stains each; ${s.files} files, ${s.plates} plates) to ${s.out} in ${s.seconds.toFixed(1)} s`,
      `  labels:    ${counts(s.byLabel)}`,
      `  per image: ${counts(s.byLabelCount)} (labels per image)`,
      `  anomalies: ${counts(s.byAnomaly) || 'none'} (fraction ${s.anomalyFraction}; column \`anomaly\` of synth.csv)`,
    ];
  }
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
  describe: 'generate a synthetic set: HEp-2 staining patterns (ICPR 2012 layout), A.I.D.A.-like positive/negative, lymphocytosis patients (DLMI layout), or HPA-2021-like protein localisation (multi-label, 4 stains)',
  builder: (y) => y
    .option('out', { type: 'string', demandOption: true, describe: 'folder to write (created; an earlier synthetic set there is replaced)' })
    .option('kind', { choices: ['patterns', 'intensity', 'lymphocytosis', 'protein'] as const, default: 'patterns' as SynthKind,
      describe: 'patterns: ICPR 2012 layout (cells.csv, training/, test/); intensity: images/ + labels.csv; lymphocytosis: clinical_annotation.csv + trainset/<ID>/*.jpg; protein: HPA 2021 layout (train.csv ID,Label + train/<ID>_{red,green,blue,yellow}.png)' })
    .option('n', { type: 'number', describe: `number of cells/images (default ${DEFAULT_N.patterns} for patterns, ${DEFAULT_N.intensity} for intensity, ${PROTEIN_DEFAULT_N} for protein); of labelled patients for lymphocytosis (default ${DEFAULT_PATIENTS})` })
    .option('seed', { type: 'number', default: DEFAULT_SEED, describe: 'the same seed gives byte-identical files' })
    .option('anomalies', { type: 'number', describe: `fraction of planted anomalies (saturated, near-black, defocused; protein also no signal); default ${DEFAULT_ANOMALY_FRACTION} (protein ${PROTEIN_DEFAULT_ANOMALIES}); not for lymphocytosis` })
    .option('size', { type: 'number', describe: 'protein: field image size in pixels (default 128)' })
    .option('json', { type: 'boolean', default: false, describe: 'print the summary as one JSON object (last line)' })
    .example('$0 synth --out data/hep2-synth --kind patterns --n 1455 --seed 1', 'the ICPR-2012-sized default set')
    .example('$0 synth --out data/aida-synth --kind intensity --seed 2 --anomalies 0.05', 'A.I.D.A.-like set, 5% anomalies')
    .example('$0 synth --out data/lymphocytosis --kind lymphocytosis --n 163 --seed 4', '163 patients (about 50 reactive, 113 malignant), 5-50 cells each')
    .example('$0 synth --out data/protein-synth --kind protein --n 600', 'HPA-like protein localisation fields, 10 localisations') as never,
  handler: async (args) => {
    try {
      if (args.size !== undefined && args.kind !== 'protein') throw new DataError(`--size applies to --kind protein (field images); kind ${args.kind} draws single-cell crops`);
      const onProgress = progressPrinter(process.stderr);
      const summary = args.kind === 'lymphocytosis'
        ? await generateLymphocytosis({ out: args.out, n: args.n, seed: args.seed, onProgress })
        : args.kind === 'protein'
          ? await generateProteinSynthetic({ out: args.out, n: args.n, seed: args.seed, anomalyFraction: args.anomalies, size: args.size, onProgress })
          : await generateSynthetic({ out: args.out, kind: args.kind, n: args.n, seed: args.seed, anomalyFraction: args.anomalies ?? DEFAULT_ANOMALY_FRACTION, onProgress });
      if (args.json) process.stdout.write(JSON.stringify(summary) + '\n');
      else process.stdout.write(summaryLines(summary).join('\n') + '\n');
    } catch (err) {
      process.exitCode = reportError(err, { json: args.json });
    }
  },
};
