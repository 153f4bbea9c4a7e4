// Patient-level results in a notebook, read back from the runs of a bag
// study (patients.csv, attention.csv): the table of patients, the gate plot,
// and a gallery of one patient's most-attended cells.
//
//   const moe = cl.experiment.bagResults(result, { 'model.metadata': 'moe' });
//   await moe.plots.gate();                 // pi per patient, all folds pooled
//   await moe.plots.topAttended();          // or .topAttended('P12', { k: 12 })
import sharp from 'sharp';
import { parseCsv } from '../data/csv';
import { bagGallerySpec, gateSpec, inNotebook, showTable, type VegaLiteSpec } from '../plots/index';
import { openTracking, type Tracking } from '../tracking/index';
import { display, shown, type ExperimentResult, TrialView } from './experiment';
import type { TrialRow } from './sweep';

export interface PatientRow {
  bag: string;
  label: string;
  /** P(positive class). */
  score: number;
  /** Gate weight of the image expert (NaN without a mixture of experts). */
  pi: number;
  imageScore: number;
  metadataScore: number;
  prediction: string;
  images: number;
  /** Fold whose test split held the patient. */
  fold?: number;
  runId: string;
}

export interface AttentionRow {
  bag: string;
  image: string;
  path: string;
  weight: number;
  rank: number;
}

const toNumber = (v: string | undefined) => (v === undefined || v === '' ? NaN : Number(v));

export class BagResults {
  private tracking?: Promise<Tracking>;
  private cache = new Map<string, Promise<Record<string, string>[]>>();

  constructor(readonly trackingUri: string, readonly rows: TrialRow[], readonly label: string) {
    if (rows.length === 0 || rows.some((r) => !r.runId)) throw new Error('bag results need at least one run');
  }

  private async table(runId: string, file: string): Promise<Record<string, string>[]> {
    if (!this.cache.has(`${runId}/${file}`)) {
      this.cache.set(`${runId}/${file}`, (async () => {
        this.tracking ??= openTracking({ uri: this.trackingUri, log: () => undefined });
        let text: string;
        try {
          text = (await (await this.tracking).downloadArtifact(runId, file)).toString('utf8');
        } catch (err) {
          throw new Error(`run ${runId} has no ${file} (${(err as Error).message}): is it a bag study (dataset.bags, model.head: mil) that completed?`);
        }
        return parseCsv(text, `${file} of run ${runId}`).rows.map((r) => r.values);
      })());
    }
    return this.cache.get(`${runId}/${file}`)!;
  }

  /** Every evaluated patient of these runs (k folds: each patient once, from the fold that tested it); a table in notebooks. */
  async patients(): Promise<PatientRow[]> {
    const rows = await this.patientRows();
    if (!inNotebook()) return rows;
    showTable(rows.map(({ runId: _r, ...p }) => p), { title: `Patients (${this.label}): ${rows.length}` });
    return shown(rows, `${rows.length} patient(s), shown above`);
  }

  private async patientRows(): Promise<PatientRow[]> {
    const parts = await Promise.all(this.rows.map(async (r) => (await this.table(r.runId!, 'patients.csv')).map((p): PatientRow => ({
      bag: p.bag, label: p.label, score: toNumber(p.score), pi: toNumber(p.pi), imageScore: toNumber(p.image_score), metadataScore: toNumber(p.metadata_score),
      prediction: p.prediction, images: toNumber(p.images), ...(r.fold !== undefined ? { fold: r.fold } : {}), runId: r.runId!,
    }))));
    return parts.flat();
  }

  /** Every image's weight in its patient's bag (attention weights; 1/n for mean pooling). */
  async attention(bag?: string): Promise<AttentionRow[]> {
    const parts = await Promise.all(this.rows.map((r) => this.table(r.runId!, 'attention.csv')));
    return parts.flat().filter((a) => bag === undefined || a.bag === bag)
      .map((a) => ({ bag: a.bag, image: a.image, path: a.path, weight: toNumber(a.weight), rank: toNumber(a.rank) }));
  }

  /**
   * The patient a gallery shows by default: a correctly classified patient that the model read
   * from its images (high pi) and scored high for the positive class (its atypical cells show).
   */
  async defaultBag(): Promise<string> {
    const ps = await this.patientRows();
    const right = ps.filter((p) => p.prediction === p.label);
    const key = (p: PatientRow) => (Number.isFinite(p.pi) ? p.pi : 1) + p.score;
    return [...(right.length ? right : ps)].sort((a, b) => key(b) - key(a) || b.images - a.images || (a.bag < b.bag ? -1 : 1))[0].bag;
  }

  readonly plots = {
    /** pi per patient (the mixture of experts' weight on the image expert), all runs pooled. */
    gate: async (o: { title?: string } = {}): Promise<VegaLiteSpec> => {
      const ps = await this.patientRows();
      if (!ps.some((p) => Number.isFinite(p.pi))) throw new Error(`these runs have no gate weights: the gate exists with model.metadata: moe (runs: ${this.label})`);
      return display(gateSpec(ps.filter((p) => Number.isFinite(p.pi)).map((p) => ({
        bag: p.bag, label: p.label, pi: p.pi, score: p.score, yImage: p.imageScore, yMeta: p.metadataScore, correct: p.prediction === p.label,
      })), { title: o.title ?? `Gate weight per patient (${this.label})` }));
    },
    /** A patient's k most-attended cells, largest weight first (default patient: defaultBag()). */
    topAttended: async (bag?: string, o: { k?: number; size?: number; columns?: number } = {}): Promise<VegaLiteSpec> => {
      const id = bag ?? await this.defaultBag();
      const rows = (await this.attention(id)).sort((a, b) => a.rank - b.rank).slice(0, o.k ?? 8);
      if (rows.length === 0) {
        const known = [...new Set((await this.attention()).map((a) => a.bag))];
        throw new Error(`patient '${id}' is not among the evaluated patients of these runs.${known.length ? ` Patients: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', ...' : ''}` : ' They logged no attention.csv (model.metadata: only uses no images).'}`);
      }
      const p = (await this.patientRows()).find((x) => x.bag === id);
      const images = await Promise.all(rows.map(async (r) => ({ id: r.image, weight: r.weight, url: await dataUri(r.path, o.size ?? 72) })));
      const about = p ? `label ${p.label}, predicted ${p.prediction} (P = ${p.score.toFixed(3)}${Number.isFinite(p.pi) ? `, pi = ${p.pi.toFixed(2)}` : ''}), ${p.images} images` : undefined;
      return display(bagGallerySpec(images, { title: `Patient ${id}: the ${rows.length} most-attended cells`, subtitle: about, columns: o.columns, size: o.size, weightName: 'a' }));
    },
  };
}

/** A PNG data URI of an image file, fitted in size x size (the spec then needs no file access). */
async function dataUri(file: string, size: number): Promise<string> {
  try {
    const png = await sharp(file).resize(size, size, { fit: 'contain', background: { r: 255, g: 255, b: 255, alpha: 1 } }).png().toBuffer();
    return `data:image/png;base64,${png.toString('base64')}`;
  } catch (err) {
    throw new Error(`cannot read ${file} for the gallery (${(err as Error).message}): the runs' image paths must exist on this machine`);
  }
}

/**
 * Bag results of a configuration: a TrialView, or a sweep's result and the params that pick one
 * configuration (e.g. {'model.metadata': 'moe'}); default the best configuration.
 */
export function bagResults(from: ExperimentResult | TrialView, params?: Record<string, unknown>): BagResults {
  if (from instanceof TrialView) return new BagResults(from.trackingUri, from.rows, from.rows.length > 1 ? `${from.rows.length} folds` : from.row.label);
  if (!params) return bagResults(from.best());
  const keys = Object.entries(params);
  const rows = from.rows.filter((r) => r.outcome === 'completed' && r.runId && keys.every(([k, v]) => r.params[k] === v));
  if (rows.length === 0) {
    const seen = [...new Set(from.rows.map((r) => JSON.stringify(Object.fromEntries(Object.entries(r.params).filter(([k]) => k !== 'fold')))))];
    throw new Error(`no completed trial has ${JSON.stringify(params)}. Configurations: ${seen.join('; ')}`);
  }
  return new BagResults(from.trackingUri, rows, `${keys.map(([k, v]) => `${k.split('.').pop()}=${String(v)}`).join(' ')}${rows.length > 1 ? `, ${rows.length} folds` : ''}`);
}
