// `mlflow.note.content`: the markdown MLflow shows as a run's description. A trial
// says what it trained on (dataset, split sizes), what came out (metric table,
// per-class scores) and how it ended; a sweep's parent holds the comparison table.
// No links: the text reads the same in the UI, a report and a terminal.
import { flatParams } from './run-name';

export interface TrialNoteInput {
  experiment: string;
  description?: string;
  backbone: string;
  lr: number;
  /** Swept values of this trial. */
  params?: Record<string, unknown>;
  fold?: number;
  dataset: { format: string; root: string; images: number; classes: string[]; split: { train: number; val: number; test: number }; skipped: number; anomalies?: number };
  /** Split of the reported metrics. */
  split: string;
  metrics: Record<string, number>;
  perClass?: { className: string; precision: number; recall: number; f1: number; support: number }[];
  outcome: string;
  reason?: string;
  bestEpoch?: number;
  epochs: number;
  /** Validation accuracy at the selected epoch. */
  selection?: number;
}

const METRIC_NAMES: Record<string, string> = {
  accuracy: 'accuracy', average_class_accuracy: 'average class accuracy (mean per-class recall)', balanced_accuracy: 'balanced accuracy',
  macro_f1: 'macro F1', weighted_f1: 'weighted F1', micro_f1: 'micro F1', auc: 'AUC', threshold: 'decision threshold (chosen on validation)',
};

const cell = (s: unknown) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '–' : Math.abs(v) >= 1000 ? v.toFixed(0) : v.toFixed(4));
const value = (v: unknown) => (typeof v === 'object' ? JSON.stringify(v) : String(v));

export function markdownTable(header: string[], rows: unknown[][]): string {
  return [`| ${header.map(cell).join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

export function trialNote(t: TrialNoteInput): string {
  const what = [t.backbone, `lr ${t.lr}`, ...Object.entries(flatParams(t.params ?? {})).filter(([k]) => k !== 'model.backbone' && k !== 'train.lr').map(([k, v]) => `${k} ${value(v)}`),
    ...(t.fold !== undefined ? [`fold ${t.fold}`] : [])].join(' · ');
  const out = [`**${t.experiment}** · ${what} — **${t.outcome}**`];
  if (t.description) out.push(t.description);
  const d = t.dataset;
  out.push(markdownTable(['dataset', 'images', 'classes', 'train', 'val', 'test'],
    [[`${d.format} at ${d.root}`, d.images, d.classes.length, d.split.train, d.split.val, d.split.test]]) +
    (d.skipped || d.anomalies ? `\n\n${[d.skipped ? `${d.skipped} item(s) skipped as bad input` : '', d.anomalies ? `${d.anomalies} training image(s) dropped by the anomaly filter` : ''].filter(Boolean).join('; ')}.` : ''));
  const shown = Object.keys(METRIC_NAMES).filter((k) => t.metrics[k] !== undefined);
  if (shown.length) out.push(markdownTable(['metric', t.split], shown.map((k) => [METRIC_NAMES[k], fmt(t.metrics[k])])));
  if (t.perClass?.length && t.perClass.length <= 20) {
    out.push(markdownTable(['class', 'precision', 'recall', 'F1', 'support'], t.perClass.map((c) => [c.className, fmt(c.precision), fmt(c.recall), fmt(c.f1), c.support])));
  }
  if (t.outcome === 'completed') {
    out.push(`Trained ${t.epochs} epoch(s); evaluated with the weights of epoch ${t.bestEpoch ?? t.epochs}` +
      `${t.selection !== undefined ? ` (validation accuracy ${fmt(t.selection)})` : ''}; the metrics above are on the ${t.split} split.`);
  } else {
    out.push(`Outcome: ${t.outcome}${t.reason ? ` — ${t.reason}` : ''}.`);
  }
  return out.join('\n\n');
}

export interface SweepNoteRow {
  name: string;
  params: Record<string, unknown>;
  fold?: number;
  outcome: string;
  reason?: string;
  selection?: number;
  metrics: Record<string, number>;
  best?: boolean;
}

/** The sweep's comparison table (also logged as sweep/comparison.md). */
export function sweepTable(rows: SweepNoteRow[], split: string): string {
  const flat = rows.map((r) => flatParams(r.params));
  const keys = [...new Set(flat.flatMap((p) => Object.keys(p)))];
  const metrics = ['accuracy', 'average_class_accuracy', 'macro_f1', 'auc'].filter((m) => rows.some((r) => r.metrics[m] !== undefined));
  const hasFold = rows.some((r) => r.fold !== undefined), hasVal = rows.some((r) => r.selection !== undefined);
  return markdownTable(
    ['run', ...keys.map((k) => k.split('.').pop()!), ...(hasFold ? ['fold'] : []), ...(hasVal ? ['val acc'] : []), ...metrics.map((m) => `${split} ${m.replace('average_class_accuracy', 'ACA')}`), 'outcome'],
    rows.map((r, i) => [`${r.best ? '★ ' : ''}${r.name}`, ...keys.map((k) => (flat[i][k] === undefined ? '' : value(flat[i][k]))), ...(hasFold ? [r.fold ?? ''] : []),
      ...(hasVal ? [fmt(r.selection)] : []), ...metrics.map((m) => fmt(r.metrics[m])), r.outcome + (r.reason && r.outcome !== 'completed' ? `: ${r.reason}` : '')]),
  );
}

export function sweepNote(o: { experiment: string; description?: string; rows: SweepNoteRow[]; split: string; best: string; counts: Record<string, number> }): string {
  const counts = Object.entries(o.counts).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ');
  return [`**${o.experiment}** sweep — ${o.rows.length} trial(s): ${counts}`, ...(o.description ? [o.description] : []), sweepTable(o.rows, o.split),
    `${o.rows.some((r) => r.best) ? '★ ' : ''}${o.best}. The best configuration is chosen on validation, never on the ${o.split} split.`].join('\n\n');
}
