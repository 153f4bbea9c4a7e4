// generateProteinSynthetic(): an HPA-2021-like protein localisation set. Field
// images of several cells, four stains each, 1-3 localisations per image
// (imbalanced, co-occurring), plates with their own imaging, planted
// anomalies; deterministic per seed. Layout as HPA 2021's Kaggle data:
// `train.csv` (ID,Label with `|`-separated label ids) and
// `train/<ID>_{red,green,blue,yellow}.png`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Random } from '../../engine/random';
import { DataError } from '../bad-input';
import { FileWriter } from './file-writer';
import { encodeGreyPng } from './png';
import { prepareOutDir } from './generate';
import { drawLabels, HPA_ID, LOCALISATIONS, type Localisation } from './protein-labels';
import { plateLook, PROTEIN_ANOMALIES, renderField, STAIN_NAMES, type PlateLook, type ProteinAnomaly } from './protein-field';

export interface ProteinOptions {
  out: string;
  /** Images (fields); default 600. */
  n?: number;
  seed?: number;
  /** Share of images with a planted anomaly (saturated, near-black, defocused, no protein signal); default 0.03. */
  anomalyFraction?: number;
  /** Field size in pixels (square); default 128. */
  size?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface ProteinSummary {
  out: string;
  kind: 'protein';
  n: number;
  seed: number;
  anomalyFraction: number;
  size: number;
  plates: number;
  files: number;
  /** Images carrying each label. */
  byLabel: Record<string, number>;
  /** Images by number of labels. */
  byLabelCount: Record<string, number>;
  byAnomaly: Record<string, number>;
  /** Cells over all fields. */
  cells: number;
  seconds: number;
}

export const PROTEIN_DEFAULT_N = 600;
export const PROTEIN_DEFAULT_ANOMALIES = 0.03;

/** A deterministic HPA-2021-like image id (UUID-shaped hex). */
function imageId(rng: Random): string {
  const hex = (k: number) => Array.from({ length: k }, () => rng.int(16).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`;
}

interface ImagePlan { id: string; plate: number; labels: Localisation[]; anomaly: ProteinAnomaly | '' }

function plan(n: number, fraction: number, rng: Random): { images: ImagePlan[]; plates: number } {
  const images: ImagePlan[] = [];
  let plate = 0, left = 0;
  for (let i = 0; i < n; i++) {
    // Plates of 6-18 images.
    if (left-- <= 0) { plate++; left = 5 + rng.int(13); }
    images.push({ id: imageId(rng), plate, labels: drawLabels(rng), anomaly: '' });
  }
  const chosen = rng.shuffle(images.map((_, i) => i)).slice(0, Math.round(n * fraction)).sort((a, b) => a - b);
  chosen.forEach((idx, j) => (images[idx].anomaly = PROTEIN_ANOMALIES[j % PROTEIN_ANOMALIES.length]));
  return { images, plates: plate };
}

const count = (xs: string[]) => Object.fromEntries([...xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>())].sort(([a], [b]) => (a < b ? -1 : 1)));

export async function generateProteinSynthetic(o: ProteinOptions): Promise<ProteinSummary> {
  const started = performance.now();
  const n = o.n ?? PROTEIN_DEFAULT_N, seed = o.seed ?? 1, fraction = o.anomalyFraction ?? PROTEIN_DEFAULT_ANOMALIES, size = o.size ?? 128;
  if (!Number.isInteger(n) || n < 12) throw new DataError(`n = ${n}: kind 'protein' needs an integer n >= 12 images`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new DataError(`seed ${seed} must be an integer in 0..4294967295`);
  if (!(fraction >= 0 && fraction <= 1)) throw new DataError(`anomaly fraction ${fraction} must be within 0..1 (e.g. 0.03 for 3%)`);
  if (!Number.isInteger(size) || size < 48 || size > 1024) throw new DataError(`size ${size}: the field size must be an integer from 48 to 1024 pixels`);
  const root = new Random(seed);
  const { images, plates } = plan(n, fraction, root.fork('plan'));
  prepareOutDir(o.out);
  fs.mkdirSync(path.join(o.out, 'train'), { recursive: true });
  const looks = new Map<number, PlateLook>();
  for (let p = 1; p <= plates; p++) looks.set(p, plateLook(root.fork('plate', p)));

  const writer = new FileWriter(32);
  const cellCounts: number[] = [];
  for (const [i, im] of images.entries()) {
    // Each image has its own stream: its pixels depend on the seed and its index only.
    const f = renderField(im.labels, looks.get(im.plate)!, im.anomaly, size, root.fork('image', i));
    for (const s of STAIN_NAMES) {
      const rel = `train/${im.id}_${s}.png`;
      await writer.write(path.join(o.out, rel), encodeGreyPng(f.stains[s], size, size, rel));
    }
    await writer.write(path.join(o.out, `train/${im.id}_cells.png`), encodeGreyPng(f.cells, size, size, `train/${im.id}_cells.png`));
    cellCounts.push(f.count);
    o.onProgress?.(i + 1, n);
  }
  await writer.drain();

  const line = (xs: (string | number)[]) => xs.join(',');
  fs.writeFileSync(path.join(o.out, 'train.csv'), ['ID,Label,Plate', ...images.map((im) => line([im.id, im.labels.map((l) => HPA_ID[l]).join('|'), im.plate]))].join('\n') + '\n');
  fs.writeFileSync(path.join(o.out, 'label_names.csv'), ['id,name', ...LOCALISATIONS.map((l) => [HPA_ID[l], l]).sort((a, b) => (a[0] as number) - (b[0] as number)).map((r) => line(r))].join('\n') + '\n');
  fs.writeFileSync(path.join(o.out, 'synth.csv'), ['id,labels,plate,cells,anomaly', ...images.map((im, i) => line([im.id, im.labels.join('|'), im.plate, cellCounts[i], im.anomaly]))].join('\n') + '\n');
  const summary: ProteinSummary = {
    out: o.out, kind: 'protein', n, seed, anomalyFraction: fraction, size, plates,
    files: images.length * 5 + 4,
    byLabel: count(images.flatMap((im) => im.labels)),
    byLabelCount: count(images.map((im) => String(im.labels.length))),
    byAnomaly: count(images.filter((im) => im.anomaly).map((im) => im.anomaly)),
    cells: cellCounts.reduce((s, c) => s + c, 0),
    seconds: 0,
  };
  fs.writeFileSync(path.join(o.out, 'README.md'), proteinReadme(summary));
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

const table = (head: string, counts: Record<string, number>) => `| ${head} | images |\n|---|---|\n${Object.entries(counts).map(([k, v]) => `| ${k} | ${v} |`).join('\n')}`;

/** README.md of a protein set: what it is, its layout, how to rebuild it. No paths or dates (byte-identical per seed). */
export function proteinReadme(s: ProteinSummary): string {
  return `# Synthetic protein localisation set (generated by cellab)

Not real microscopy: drawn by \`cellab synth --kind protein\` to exercise multi-label,
multi-channel training end to end, laid out as the Human Protein Atlas 2021 Kaggle data.
Each image is a ${s.size}x${s.size} field of 3-6 cells in four stains: blue = nuclei (DAPI),
red = microtubules, yellow = endoplasmic reticulum (marker), green = the protein of interest,
at 1-3 localisations per image. A few cells of an image barely express the protein (labels
are per image, not per cell: weak supervision). Localisations differ by where the green
signal sits relative to the reference stains, not by brightness alone:

- Nucleoplasm: fills the nucleus except the nucleoli; Nucleoli: 2-4 bright nuclear blobs;
  Nuclear membrane: a thin ring at the nuclear rim;
- Cytosol: diffuse cytoplasm; Plasma membrane: a thin ring at the cell rim;
- Mitochondria: many short rods and puncta; Vesicles and punctate cytosolic patterns: scattered
  round dots; Endoplasmic reticulum: the yellow marker's reticular network;
- Golgi apparatus: a compact cluster beside the nucleus; Centrosome: 1-2 dots beside the nucleus.

Images come in plates (6-18 images) with their own exposure per stain, background, focus and
noise: split by plate (column \`Plate\`), or a plate leaking across a split inflates scores.
Planted anomalies (saturated green, near-black, defocused, no protein signal) are marked in
\`synth.csv\` only.

Rebuild byte for byte:

    cellab synth --out DIR --kind protein --n ${s.n} --seed ${s.seed} --anomalies ${s.anomalyFraction} --size ${s.size}

Layout:

- \`train.csv\` (\`,\`): ID,Label,Plate — Label is \`|\`-separated HPA 2021 label ids (\`16|0\`);
  Plate is extra (the real file has ID,Label only).
- \`train/<ID>_red.png\`, \`_green.png\`, \`_blue.png\`, \`_yellow.png\`: 8-bit grey, one per stain.
- \`train/<ID>_cells.png\`: segmentation label image (0 background, 1..k one value per cell).
- \`label_names.csv\` (\`,\`): id,name of the ${LOCALISATIONS.length} localisations used (\`dataset.classMap\`).
- \`synth.csv\` (\`,\`): id,labels,plate,cells,anomaly — the truth, label names spelled out.

Parameters: n ${s.n}, seed ${s.seed}, anomaly fraction ${s.anomalyFraction}, size ${s.size}, ${s.plates} plates, ${s.cells} cells.

${table('label', s.byLabel)}

${table('labels per image', s.byLabelCount)}

${table('anomaly', s.byAnomaly)}
`;
}
