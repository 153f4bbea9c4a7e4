// generateSynthetic(): plan the set, draw every cell, write PNGs and manifests.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Random } from '../../engine/random';
import { DataError } from '../bad-input';
import { cellsCsv, groundTruthCsv, labelsCsv, splitCsv, synthCsv, SYNTH_OUTPUT_ENTRIES, type WrittenItem } from './manifests';
import { planIntensity, planPatterns, type ItemPlan, type Plan } from './plan';
import { FileWriter } from './file-writer';
import { encodeGreyPng } from './png';
import { readmeText } from './readme';
import { renderCell } from './render';
import { specimenLook, type SpecimenLook } from './specimen';
import { countBy, type SynthKind, type SynthSummary } from './summary';

export interface GenerateOptions {
  out: string;
  kind: SynthKind;
  /** Number of cells/images; default 1455 (patterns, as ICPR 2012) or 2080 (intensity, as A.I.D.A.). */
  n?: number;
  seed?: number;
  /** Share of cells with a planted anomaly (saturated, near-black, defocused); default 0.02. */
  anomalyFraction?: number;
  onProgress?: (done: number, total: number) => void;
}

export const DEFAULT_N: Readonly<Record<SynthKind, number>> = { patterns: 1455, intensity: 2080 };
export const DEFAULT_SEED = 1;
export const DEFAULT_ANOMALY_FRACTION = 0.02;
/** Files handed to the OS at once: writing overlaps with drawing the next cells. */
const MAX_PENDING_WRITES = 32;

/** Make `out` ready for a synthetic set (any kind): new, empty, or an earlier set whose own entries are removed. */
export function prepareOutDir(out: string): void {
  if (fs.existsSync(out)) {
    if (!fs.statSync(out).isDirectory()) throw new DataError(`output folder ${out} is a file; give a folder`);
    const entries = fs.readdirSync(out);
    if (entries.length > 0 && !entries.includes('synth.csv')) {
      throw new DataError(`output folder ${out} is not empty and holds no synth.csv, so it is not a synthetic set: choose an empty or new folder`);
    }
    for (const e of SYNTH_OUTPUT_ENTRIES) fs.rmSync(path.join(out, e), { recursive: true, force: true });
  }
  fs.mkdirSync(out, { recursive: true });
}

function checkOptions(o: GenerateOptions): { n: number; seed: number; fraction: number } {
  if (o.kind !== 'patterns' && o.kind !== 'intensity') {
    throw new DataError(`kind '${String(o.kind)}' is not a synthetic set kind. Use patterns or intensity.`);
  }
  const n = o.n ?? DEFAULT_N[o.kind];
  const seed = o.seed ?? DEFAULT_SEED;
  const fraction = o.anomalyFraction ?? DEFAULT_ANOMALY_FRACTION;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new DataError(`seed ${seed} must be an integer in 0..4294967295`);
  if (!(fraction >= 0 && fraction <= 1)) throw new DataError(`anomaly fraction ${fraction} must be within 0..1 (e.g. 0.02 for 2%)`);
  return { n, seed, fraction };
}

/** File name stem of cell `id`: 3 digits as in ICPR 2012 (4 when n > 999); intensity sets use 4 or more. */
export function fileStem(id: number, kind: SynthKind, n: number): string {
  const digits = kind === 'patterns' ? (n <= 999 ? 3 : Math.max(4, String(n).length)) : Math.max(4, String(n).length);
  return String(id).padStart(digits, '0');
}

function folderOf(item: ItemPlan, kind: SynthKind): string {
  return kind === 'intensity' ? 'images' : item.split;
}

function writeManifests(out: string, kind: SynthKind, written: WrittenItem[]): string[] {
  const files: [string, string][] = [['synth.csv', synthCsv(written)]];
  if (kind === 'patterns') {
    const training = written.filter((w) => w.split === 'training');
    const test = written.filter((w) => w.split === 'test');
    files.push(
      ['cells.csv', cellsCsv(written)],
      ['training/training.csv', splitCsv(training)],
      ['training/gt_training.csv', groundTruthCsv(training)],
      ['test/test.csv', splitCsv(test)],
      ['test/gt_test.csv', groundTruthCsv(test)],
    );
  } else {
    files.push(['labels.csv', labelsCsv(written)]);
  }
  for (const [rel, text] of files) fs.writeFileSync(path.join(out, rel), text);
  return files.map(([rel]) => rel);
}

/** Generate a synthetic HEp-2 set into `o.out`; the same options give byte-identical files. */
export async function generateSynthetic(o: GenerateOptions): Promise<SynthSummary> {
  const started = performance.now();
  const { n, seed, fraction } = checkOptions(o);
  const root = new Random(seed);
  const plan: Plan = o.kind === 'patterns' ? planPatterns(n, fraction, root.fork('plan')) : planIntensity(n, fraction, root.fork('plan'));
  prepareOutDir(o.out);
  for (const dir of new Set(plan.items.map((it) => folderOf(it, o.kind)))) fs.mkdirSync(path.join(o.out, dir), { recursive: true });

  const looks = new Map<number, SpecimenLook>();
  for (const s of plan.specimens) looks.set(s.specimen, specimenLook(o.kind, s.pattern === '' ? 'negative' : s.pattern, s.intensity, s.look));

  const written: WrittenItem[] = [];
  const writer = new FileWriter(MAX_PENDING_WRITES);
  for (const item of plan.items) {
    // Each cell has its own stream, so its pixels depend on the seed and its ID only.
    const cell = renderCell(item, looks.get(item.specimen)!, root.fork('cell', item.id));
    const stem = `${folderOf(item, o.kind)}/${fileStem(item.id, o.kind, n)}`;
    await writer.write(path.join(o.out, `${stem}.png`), encodeGreyPng(cell.image, cell.width, cell.height, `${stem}.png`));
    await writer.write(path.join(o.out, `${stem}_mask.png`), encodeGreyPng(cell.mask, cell.width, cell.height, `${stem}_mask.png`));
    written.push({ ...item, path: `${stem}.png`, maskPath: `${stem}_mask.png`, width: cell.width, height: cell.height });
    o.onProgress?.(written.length, plan.items.length);
  }
  await writer.drain();

  const manifests = writeManifests(o.out, o.kind, written);
  const summary: SynthSummary = {
    out: o.out,
    kind: o.kind,
    n,
    seed,
    anomalyFraction: fraction,
    specimens: plan.specimens.length,
    files: 2 * written.length + manifests.length + 1,
    byPattern: countBy(plan.items, 'pattern'),
    byIntensity: countBy(plan.items, 'intensity'),
    bySplit: countBy(plan.items, 'split'),
    byAnomaly: countBy(plan.items.filter((it) => it.anomaly !== ''), 'anomaly'),
    seconds: 0,
  };
  fs.writeFileSync(path.join(o.out, 'README.md'), readmeText(summary));
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}
