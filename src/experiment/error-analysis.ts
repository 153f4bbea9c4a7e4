// Error analysis of finished runs, read back from tracking (the notebook's
// `result.best().plots.topLosses()` and the artifacts logged for a sweep's best run
// use the same code): the items with the highest loss, the most confused class
// pairs with examples, the misclassified items of each class, and Grad-CAM maps of
// the model's evidence for its prediction and for the truth.
// A run is read from its config.yaml (dataset, image settings), predictions.csv
// (scores per item), its checkpoint (Grad-CAM) and the dataset's items (masks).
import * as os from 'node:os';
import * as path from 'node:path';
import YAML from 'yaml';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import type { Tracking } from '../tracking/index';
import { parseCsv } from '../data/csv';
import { loadDataset } from '../data/load';
import { thumbnailPng } from '../data/thumbnail';
import { prepareImage, toUnitFloats, channelCount } from '../data/image';
import { normalizeInPlace, standardizeImagesInPlace, type Normalization } from '../data/batches';
import { augmentPreview, classGallery, makeGallery, type Gallery, type GalleryRow, type GalleryTile } from '../data/gallery';
import type { DatasetItem } from '../data/types';
import { argmax, confusionMatrix, mostConfused, predictionsFromRows, topLosses, type LossRow } from '../eval/index';
import { loadCheckpoint, gradCam, type CheckpointMeta } from '../models/index';
import { contactSheetPng, overlayHeatmap, pixelsToPng } from '../plots/index';
import { resolveConfig } from './config';
import type { ExperimentConfig, TrackingConfig } from './schema';
import { resolvePretrainedRun } from './pretrained-run';
import { phase } from './timing';

/** One scored item of a run. */
export interface ScoredItem {
  runId: string;
  id: string;
  path: string;
  label: number;
  scores: number[];
  /** The class the run decided (argmax, or its threshold chosen on validation). */
  predicted: number;
}

export interface AnalysedRun {
  runId: string;
  config: ExperimentConfig;
  classNames: string[];
  items: ScoredItem[];
  /** The dataset's items by id (masks, channel files); empty when the dataset cannot be read any more. */
  dataset: Map<string, DatasetItem>;
  /** Why `dataset` is empty. */
  datasetNote?: string;
}

const TILE = 96;

async function artifactText(tracking: Tracking, runId: string, file: string): Promise<string> {
  try {
    return (await tracking.downloadArtifact(runId, file)).toString('utf8');
  } catch (err) {
    throw new Error(`cannot read ${file} of run ${runId} from ${tracking.uri}: ${(err as Error).message}`);
  }
}

/** The run's config, predictions and dataset items. */
export async function loadRunForAnalysis(tracking: Tracking, runId: string): Promise<AnalysedRun> {
  let config: ExperimentConfig;
  const yaml = await artifactText(tracking, runId, 'config.yaml');
  try {
    config = resolveConfig(YAML.parse(yaml), { baseDir: '/', env: {} }).config;
  } catch (err) {
    throw new Error(`config.yaml of run ${runId} does not resolve: ${(err as Error).message}`);
  }
  if (config.dataset.bags) {
    // predictions.csv holds one row per patient (its path a folder): image galleries do not apply.
    throw new Error(`run ${runId} is patient-level (dataset.bags): its predictions are per patient, not per image. ` +
      'Use experiment.bagResults(result).plots.gate() / .topAttended() for its patients and their most-attended cells');
  }
  const csvText = await artifactText(tracking, runId, 'predictions.csv');
  const table = parseCsv(csvText, `predictions.csv of run ${runId}`);
  const preds = predictionsFromRows(table);
  const pathAt = table.header.indexOf('path');
  const run = await tracking.getRun(runId);
  const threshold = run.metrics[`${config.eval.split}/threshold`];
  const posTag = run.tags['cellab.threshold_positive'];
  const positive = posTag !== undefined ? preds.classNames.indexOf(posTag) : 1;
  const decide = (s: number[]) => (Number.isFinite(threshold) && preds.classNames.length === 2 && positive >= 0 ? (s[positive] >= threshold ? positive : 1 - positive) : argmax(s));
  const items = preds.labels.map((label, i) => ({
    runId, id: preds.ids[i], path: pathAt >= 0 ? table.rows[i].cells[pathAt] : '', label, scores: preds.scores[i], predicted: decide(preds.scores[i]),
  }));
  let dataset = new Map<string, DatasetItem>();
  let datasetNote: string | undefined;
  try {
    dataset = new Map(loadDataset(config.dataset, { collect: true }).items.map((it) => [it.id, it]));
  } catch (err) {
    datasetNote = `the dataset of run ${runId} cannot be read (${(err as Error).message.split('\n')[0]}): images are shown from predictions.csv paths, without masks`;
  }
  return { runId, config, classNames: preds.classNames, items, dataset, datasetNote };
}

function classesOf(runs: AnalysedRun[]): string[] {
  const names = runs[0].classNames;
  for (const r of runs) {
    if (r.classNames.join('\u0000') !== names.join('\u0000')) throw new Error(`runs ${runs[0].runId} and ${r.runId} predict different classes: they cannot be analysed together`);
  }
  return names;
}

/** The item as the model saw it (mask applied when the run masked), at tile size. */
async function tileImage(run: AnalysedRun, s: ScoredItem, size = TILE): Promise<Buffer> {
  const img = run.config.dataset.image;
  const item = run.dataset.get(s.id);
  if (item) return thumbnailPng(item, { size, channels: img.channels, resize: img.resize, mask: img.mask && item.maskPath ? 'apply' : 'none' });
  return thumbnailPng({ id: s.id, path: s.path, label: '', extra: {} }, { size, channels: img.channels === 'rgb' ? 'rgb' : 'gray', resize: img.resize, mask: 'none' });
}

const pct = (p: number) => p.toFixed(2);

function pooled(runs: AnalysedRun[]): { run: AnalysedRun; item: ScoredItem }[] {
  return runs.flatMap((run) => run.items.map((item) => ({ run, item })));
}

function notes(runs: AnalysedRun[]): string {
  const n = runs.map((r) => r.datasetNote).filter(Boolean);
  const what = runs.length > 1 ? `${runs.length} runs pooled` : `run ${runs[0].runId.slice(0, 8)}`;
  return `${what}, ${runs[0].config.eval.split} split${n.length ? `; ${n[0]}` : ''}`;
}

/** The `n` items with the highest loss: image, true class, prediction and its probability, loss. */
export async function topLossesGallery(runs: AnalysedRun[], o: { n?: number } = {}): Promise<Gallery & { losses: LossRow[] }> {
  const classes = classesOf(runs);
  const all = pooled(runs);
  const losses = topLosses(all.map((a) => a.item.label), all.map((a) => a.item.scores), { n: o.n ?? 12, predicted: all.map((a) => a.item.predicted) });
  const tiles: GalleryTile[] = [];
  for (const l of losses) {
    const { run, item } = all[l.index];
    tiles.push({
      id: item.id, png: await tileImage(run, item), border: l.predicted !== l.label ? '#e45756' : undefined,
      caption: [item.id, `true ${classes[l.label]}`, `pred ${classes[l.predicted]}`, `p ${pct(l.probability)} loss ${l.loss.toFixed(2)}`],
    });
  }
  const perRow = 6;
  const rows: GalleryRow[] = [];
  for (let i = 0; i < tiles.length; i += perRow) rows.push({ tiles: tiles.slice(i, i + perRow) });
  return Object.assign(makeGallery({ title: `Top ${losses.length} losses (red: misclassified)`, subtitle: notes(runs), rows, tileSize: TILE }), { losses });
}

/** The most confused (true, predicted) pairs, each with its count and example images (most confident first). */
export async function mostConfusedGallery(runs: AnalysedRun[], o: { n?: number; examples?: number } = {}): Promise<Gallery> {
  const classes = classesOf(runs);
  const all = pooled(runs);
  const cm = confusionMatrix(all.map((a) => a.item.label), all.map((a) => a.item.predicted), classes.length);
  const pairs = mostConfused(cm, classes, { n: o.n ?? 6 });
  const rows: GalleryRow[] = [];
  for (const p of pairs) {
    const a = classes.indexOf(p.actual), b = classes.indexOf(p.predicted);
    const ex = all.filter((x) => x.item.label === a && x.item.predicted === b).sort((x, y) => y.item.scores[b] - x.item.scores[b]).slice(0, o.examples ?? 6);
    rows.push({
      label: `${p.actual} → ${p.predicted}: ${p.count}`,
      tiles: await Promise.all(ex.map(async (x) => ({ id: x.item.id, png: await tileImage(x.run, x.item), caption: [x.item.id, `p ${pct(x.item.scores[b])}`] }))),
    });
  }
  return makeGallery({ title: pairs.length ? `Most confused pairs (true → predicted: count)` : 'No confusions: every item is classified correctly', subtitle: notes(runs), rows, tileSize: TILE });
}

/** Misclassified items of one class (or of every class, one row each), highest loss first. */
export async function misclassifiedGallery(runs: AnalysedRun[], o: { class?: string; n?: number } = {}): Promise<Gallery> {
  const classes = classesOf(runs);
  const all = pooled(runs);
  const which = o.class === undefined ? classes.map((_, i) => i) : [classes.indexOf(o.class)];
  if (which[0] < 0) throw new Error(`class '${o.class}' is not one of the run's classes: ${classes.join(', ')}`);
  const rows: GalleryRow[] = [];
  for (const c of which) {
    const wrong = all.filter((x) => x.item.label === c && x.item.predicted !== c);
    const rowsOf = topLosses(wrong.map((x) => x.item.label), wrong.map((x) => x.item.scores), { n: o.n ?? 8, predicted: wrong.map((x) => x.item.predicted) });
    const tiles = await Promise.all(rowsOf.map(async (l) => {
      const { run, item } = wrong[l.index];
      return { id: item.id, png: await tileImage(run, item), caption: [item.id, `pred ${classes[l.predicted]}`, `p ${pct(l.probability)}`] };
    }));
    const total = all.filter((x) => x.item.label === c).length;
    rows.push({ label: `${classes[c]} (${wrong.length}/${total})`, tiles });
  }
  const title = o.class === undefined ? 'Misclassified items per class (wrong / total)' : `Misclassified ${o.class} items: ${rows[0].label}`;
  return makeGallery({ title, subtitle: notes(runs), rows, tileSize: TILE });
}

/** How the run's inputs were normalised (saved with the checkpoint; older checkpoints: from the config). */
function normalizationOf(meta: CheckpointMeta, config: ExperimentConfig, runId: string): Normalization | 'image' | undefined {
  if ('normalization' in meta) return (meta.normalization ?? undefined) as Normalization | 'image' | undefined;
  const n = config.dataset.normalize;
  if (n === false) return undefined;
  if (n === 'image') return 'image';
  if (typeof n === 'object' && n.mean !== undefined && n.std !== undefined) return { mean: ([] as number[]).concat(n.mean), std: ([] as number[]).concat(n.std) };
  throw new Error(`the checkpoint of run ${runId} does not record the training split's normalisation (dataset.normalize: train); re-run it to use Grad-CAM`);
}

interface LoadedModel { model: tf.LayersModel; normalization: Normalization | 'image' | undefined }

async function runModel(tracking: Tracking, run: AnalysedRun, cacheDir: string): Promise<LoadedModel> {
  const listing = await tracking.listArtifacts(run.runId).catch((err: Error) => { throw new Error(`cannot list the artifacts of run ${run.runId}: ${err.message}`); });
  if (!listing.some((a) => a.path === 'checkpoint')) {
    throw new Error(`run ${run.runId} has no checkpoint artifact (train.checkpoint: false, or model.head: linear): Grad-CAM needs the trained network`);
  }
  const { dir } = await resolvePretrainedRun(tracking, `runs:/${run.runId}`, run.config.model.backbone, cacheDir);
  const { model, meta } = await loadCheckpoint(dir);
  return { model, normalization: normalizationOf(meta, run.config, run.runId) };
}

/** Model input (normalised as in training) and the 8-bit picture of it. */
async function modelInput(run: AnalysedRun, item: DatasetItem, normalization: Normalization | 'image' | undefined) {
  const img = run.config.dataset.image;
  const p = await prepareImage(item, img);
  const x = toUnitFloats(p);
  const c = channelCount(img.channels);
  const picture = { data: Uint8Array.from(x, (v) => Math.round(255 * v)), width: img.size, height: img.size, channels: c as 1 | 3 };
  if (normalization === 'image') standardizeImagesInPlace(x, 1, x.length);
  else if (normalization) normalizeInPlace(x, c, normalization);
  return { x, picture };
}

/**
 * Grad-CAM of the given items (default: the top losses): per item, the image, the map for
 * the predicted class and (when wrong) the map for the true class.
 */
export async function gradCamGallery(tracking: Tracking, runs: AnalysedRun[], o: { n?: number; ids?: string[]; cacheDir?: string } = {}): Promise<Gallery> {
  const classes = classesOf(runs);
  const all = pooled(runs);
  let chosen: { run: AnalysedRun; item: ScoredItem }[];
  if (o.ids) {
    chosen = o.ids.map((id) => {
      const hit = all.find((a) => a.item.id === id);
      if (!hit) throw new Error(`gradCam: item '${id}' is not among the evaluated items of ${runs.map((r) => r.runId).join(', ')}`);
      return hit;
    });
  } else {
    const losses = topLosses(all.map((a) => a.item.label), all.map((a) => a.item.scores), { n: o.n ?? 6, predicted: all.map((a) => a.item.predicted) });
    chosen = losses.map((l) => all[l.index]);
  }
  const cacheDir = o.cacheDir ?? path.join(os.tmpdir(), 'cellab-checkpoints');
  const models = new Map<string, Promise<LoadedModel>>();
  const rows: GalleryRow[] = [];
  let layer = '';
  try {
    for (const { run, item } of chosen) {
      const dsItem = run.dataset.get(item.id);
      if (!dsItem) throw new Error(`gradCam: item '${item.id}' is not in the dataset of run ${run.runId} any more${run.datasetNote ? ` (${run.datasetNote})` : ''}`);
      if (!models.has(run.runId)) models.set(run.runId, runModel(tracking, run, cacheDir));
      const { model, normalization } = await models.get(run.runId)!;
      const { x, picture } = await modelInput(run, dsItem, normalization);
      const want = item.predicted === item.label ? [item.predicted] : [item.predicted, item.label];
      const input = tf.tensor4d(x, [1, picture.height, picture.width, picture.channels]);
      const tiles: GalleryTile[] = [{ id: item.id, png: await upscale(await pixelsToPng(picture)), caption: [item.id, item.predicted === item.label ? 'correct' : 'wrong'] }];
      try {
        for (const c of want) {
          const cam = await gradCam(model, input, c);
          layer = cam.layer;
          const overlay = await pixelsToPng(overlayHeatmap(picture, cam.maps[0]));
          tiles.push({ png: await upscale(overlay), border: c === item.label ? '#54a24b' : '#e45756', caption: [`${c === item.predicted ? 'pred' : 'true'} ${classes[c]}`, `p ${pct(item.scores[c])}`] });
        }
      } finally {
        input.dispose();
      }
      // Two items per row.
      if (rows.length && rows[rows.length - 1].tiles.length <= 3) rows[rows.length - 1].tiles.push(...tiles);
      else rows.push({ tiles });
    }
  } finally {
    for (const m of models.values()) await m.then((x) => x.model.dispose(), () => undefined);
  }
  return makeGallery({
    title: `Grad-CAM: where the network found evidence (image, predicted class, true class)`,
    subtitle: `${notes(runs)}; gradients at ${layer || 'the last convolutional block'}; red = predicted (wrong), green = true class`,
    rows, tileSize: TILE,
  });
}

async function upscale(png: Buffer): Promise<Buffer> {
  return sharp(png).resize(TILE, TILE, { kernel: 'cubic' }).png().toBuffer();
}

export type ErrorAnalysisOptions = Exclude<TrackingConfig['errorAnalysis'], boolean>;

export function errorAnalysisOptions(t: TrackingConfig): ErrorAnalysisOptions | undefined {
  const e = t.errorAnalysis;
  if (e === false) return undefined;
  return e === true ? { topLosses: 12, gradCam: 6, perClass: 8 } : e;
}

const fileSafe = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, '_');

/**
 * Log the galleries of `runIds` (one run, or every fold of a configuration, pooled) as
 * plots/top_losses.png, plots/most_confused.png, plots/misclassified_<class>.png,
 * plots/gradcam.png, plots/samples_per_class.png and plots/augmentation.png of the first
 * run. A gallery that cannot be drawn is skipped and said (tag cellab.error_analysis_skipped),
 * never failing the run.
 */
export async function logErrorAnalysis(tracking: Tracking, runIds: string[], o: ErrorAnalysisOptions & { log?: (l: string) => void; cacheDir?: string }): Promise<string[]> {
  const log = o.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const target = (await tracking.getRun(runIds[0])).info;
  phase('error analysis: start');
  const runs = await Promise.all(runIds.map((id) => loadRunForAnalysis(tracking, id)));
  phase('error analysis: runs loaded');
  const written: string[] = [];
  const skipped: string[] = [];
  const put = async (file: string, g: () => Promise<Gallery>) => {
    try {
      await tracking.store.uploadArtifact(target, file, await contactSheetPng(await g()));
      written.push(file);
    } catch (err) {
      skipped.push(`${file}: ${(err as Error).message}`);
    }
    phase(`error analysis: ${file}`);
  };
  await put('plots/top_losses.png', () => topLossesGallery(runs, { n: o.topLosses }));
  await put('plots/most_confused.png', () => mostConfusedGallery(runs));
  for (const c of runs[0].classNames) {
    if (runs.some((r) => r.items.some((i) => r.classNames[i.label] === c && i.predicted !== i.label))) {
      await put(`plots/misclassified_${fileSafe(c)}.png`, () => misclassifiedGallery(runs, { class: c, n: o.perClass }));
    }
  }
  if (o.gradCam > 0) await put('plots/gradcam.png', () => gradCamGallery(tracking, runs, { n: o.gradCam, cacheDir: o.cacheDir }));
  // What the data looked like to this run: cells per class, and one cell through its augmentation.
  const first = runs[0];
  if (first.dataset.size) {
    const img = first.config.dataset.image;
    const items = [...first.dataset.values()];
    await put('plots/samples_per_class.png', () => classGallery(items, { n: 8, masks: img.mask ? 'apply' : false, image: img, seed: first.config.train.seed }));
    const train = items.find((it) => it.split !== 'test');
    if (first.config.dataset.augment && train) await put('plots/augmentation.png', () => augmentPreview(train, first.config.dataset.augment, img, 8));
  }
  if (skipped.length) {
    await tracking.setTag(target.runId, 'cellab.error_analysis_skipped', skipped.join('\n').slice(0, 4000));
    for (const s of skipped) log(`cellab: error analysis of run ${target.runId}: skipped ${s}`);
  }
  return written;
}
