// generateLymphocytosis(): a synthetic set in the DLMI lymphocytosis layout —
// `clinical_annotation.csv` (ID, LABEL, GENDER, DOB, LYMPH_COUNT) and one
// folder of JPEG cell crops per patient under `trainset/` (labelled) and
// `testset/` (LABEL -1) — deterministic per seed. Truth per image in synth.csv.
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { Random } from '../../engine/random';
import { DataError } from '../bad-input';
import { FileWriter } from './file-writer';
import { prepareOutDir } from './generate';
import { CROP, cellAtypia, renderLymphocyte, smearLook } from './lymph-cell';
import { planPatients, type PatientPlan } from './lymph-plan';
import { lymphocytosisReadme } from './lymph-readme';

export interface LymphocytosisOptions {
  out: string;
  /** Labelled patients (default 163, as the study's set). */
  n?: number;
  /** Unlabelled patients in testset/ (default: an eighth of n; the real set has 42 next to 163). */
  testPatients?: number;
  seed?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface LymphocytosisSummary {
  out: string;
  kind: 'lymphocytosis';
  n: number;
  seed: number;
  testPatients: number;
  images: number;
  /** Labelled patients per class and per subtype. */
  byLabel: Record<string, number>;
  bySubtype: Record<string, number>;
  files: number;
  seconds: number;
}

export const DEFAULT_PATIENTS = 163;
/** JPEG encodes in flight (sharp runs them on libuv's pool). */
const MAX_ENCODES = 8;

const count = (xs: string[]) => Object.fromEntries([...xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>())].sort());

export async function generateLymphocytosis(o: LymphocytosisOptions): Promise<LymphocytosisSummary> {
  const started = performance.now();
  const n = o.n ?? DEFAULT_PATIENTS, seed = o.seed ?? 1;
  const testPatients = o.testPatients ?? Math.round(n / 8);
  if (!Number.isInteger(n) || n < 10) throw new DataError(`n ${n}: a lymphocytosis set needs at least 10 labelled patients`);
  if (!Number.isInteger(testPatients) || testPatients < 0) throw new DataError(`testPatients ${testPatients} must be an integer >= 0`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new DataError(`seed ${seed} must be an integer in 0..4294967295`);
  const root = new Random(seed);
  const patients = planPatients(n, testPatients, root.fork('plan'));
  prepareOutDir(o.out);

  const total = patients.reduce((s, p) => s + p.cells, 0);
  const truth: string[] = ['ID,path,label,subtype,atypical,atypia'];
  const writer = new FileWriter(32);
  const inFlight = new Set<Promise<void>>();
  let done = 0;
  for (const p of patients) {
    const folder = `${p.test ? 'testset' : 'trainset'}/${p.id}`;
    fs.mkdirSync(path.join(o.out, folder), { recursive: true });
    const rng = root.fork('patient', p.id);
    const look = smearLook(rng.fork('look'));
    for (let k = 0; k < p.cells; k++) {
      // Each cell has its own stream: its pixels depend on the seed, the patient and its index only.
      const r = rng.fork('cell', k);
      const atypical = r.bool(p.atypicalFraction);
      const atypia = cellAtypia(atypical, r);
      const pixels = renderLymphocyte(atypia, look, r);
      const rel = `${folder}/${String(k + 1).padStart(6, '0')}.jpg`;
      truth.push([p.id, rel, p.label, p.subtype, atypical ? 1 : 0, atypia.toFixed(4)].join(','));
      const job = sharp(Buffer.from(pixels), { raw: { width: CROP, height: CROP, channels: 3 } })
        .jpeg({ quality: 92, chromaSubsampling: '4:4:4' }).toBuffer()
        .then((buf) => writer.write(path.join(o.out, rel), buf))
        .then(() => { o.onProgress?.(++done, total); });
      inFlight.add(job);
      void job.finally(() => inFlight.delete(job)).catch(() => undefined);
      if (inFlight.size >= MAX_ENCODES) await Promise.race(inFlight);
    }
  }
  await Promise.all(inFlight);
  await writer.drain();

  fs.writeFileSync(path.join(o.out, 'clinical_annotation.csv'), annotationCsv(patients));
  fs.writeFileSync(path.join(o.out, 'synth.csv'), truth.join('\n') + '\n');
  const labelled = patients.filter((p) => !p.test);
  const summary: LymphocytosisSummary = {
    out: o.out, kind: 'lymphocytosis', n, seed, testPatients, images: total,
    byLabel: count(labelled.map((p) => (p.label === 1 ? 'malignant' : 'reactive'))),
    bySubtype: count(labelled.map((p) => p.subtype)),
    files: total + 3, seconds: 0,
  };
  fs.writeFileSync(path.join(o.out, 'README.md'), lymphocytosisReadme(summary, labelled));
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

/** The DLMI annotation file: one row per patient, LABEL -1 for testset/ patients. */
export function annotationCsv(patients: readonly PatientPlan[]): string {
  return ['ID,LABEL,GENDER,DOB,LYMPH_COUNT', ...patients.map((p) => [p.id, p.label, p.gender, p.dob, p.count].join(','))].join('\n') + '\n';
}
