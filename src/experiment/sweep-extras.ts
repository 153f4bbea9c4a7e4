// A sweep's parent run, readable in MLflow: the comparison table as its note and as
// sweep/comparison.md, and the trials' training curves overlaid (PNG and SVG).
import type { Tracking } from '../tracking/index';
import type { RunRecord } from '../tracking/types';
import { renderSvg, runCurvesSpec, svgToPng, type RunCurvePoint } from '../plots/index';
import type { ExperimentConfig } from './schema';
import type { Trial } from './trials';
import type { TrialRow } from './sweep';
import { trialRunName } from './run-name';
import { sweepNote, sweepTable, type SweepNoteRow } from './note';

/** At most this many trials' curves in the overlay (the best first): more lines cannot be told apart. */
const MAX_CURVES = 12;

export async function logReadableSweep(tracking: Tracking, parent: RunRecord, o: {
  config: ExperimentConfig; trials: Trial[]; rows: TrialRow[]; bestRunIds: string[]; bestLine: string; projectRoot: string;
}): Promise<void> {
  const byIndex = new Map(o.trials.map((t) => [t.index, t]));
  const best = new Set(o.bestRunIds);
  const named = o.rows.map((r) => {
    const t = byIndex.get(r.trial);
    // The name the run was given (a tpe trial's params were chosen at launch: only its run knows them).
    return { row: r, name: r.runName ?? (t && !t.pending ? trialRunName(o.config.name, t.config, { params: t.params, fold: t.fold, projectRoot: o.projectRoot }) : r.label) };
  });
  const noteRows: SweepNoteRow[] = named.map(({ row, name }) => ({
    name, params: row.params, fold: row.fold, outcome: row.outcome, reason: row.reason, selection: row.selection, metrics: row.metrics, best: !!row.runId && best.has(row.runId),
  }));
  const counts: Record<string, number> = {};
  for (const r of o.rows) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  const store = tracking.store;
  await store.uploadArtifact(parent.info, 'sweep/comparison.md', Buffer.from(sweepTable(noteRows, o.config.eval.split) + '\n\n' + o.bestLine + '\n'));
  await tracking.setTag(parent.info.runId, 'mlflow.note.content',
    sweepNote({ experiment: o.config.name, description: o.config.description, rows: noteRows, split: o.config.eval.split, best: o.bestLine, counts }));

  // Overlaid curves of the trials that trained (diverged and pruned ones too: their curves say how), best first.
  const done = named.filter((n) => (n.row.outcome === 'completed' || n.row.outcome === 'diverged' || n.row.outcome === 'pruned') && n.row.runId)
    .sort((a, b) => Number(best.has(b.row.runId!)) - Number(best.has(a.row.runId!)) || (b.row.selection ?? -1) - (a.row.selection ?? -1)).slice(0, MAX_CURVES);
  const points: RunCurvePoint[] = [];
  for (const { row, name } of done) {
    for (const key of ['val/accuracy', 'val/loss', 'train/loss']) {
      for (const p of await tracking.getMetricHistory(row.runId!, key)) points.push({ run: name, epoch: p.step, metric: key, value: p.value });
    }
  }
  const hasVal = points.some((p) => p.metric.startsWith('val/'));
  const metrics = hasVal ? ['val/accuracy', 'val/loss'] : ['train/loss'];
  if (points.some((p) => metrics.includes(p.metric))) {
    const title = `${o.config.name}: ${hasVal ? 'validation' : 'training'} curves by trial`;
    const svg = await renderSvg(runCurvesSpec(points, { metrics: metrics.filter((m) => points.some((p) => p.metric === m)), title }));
    await store.uploadArtifact(parent.info, 'plots/curves_by_trial.svg', Buffer.from(svg));
    await store.uploadArtifact(parent.info, 'plots/curves_by_trial.png', await svgToPng(svg, title, 2));
  }
}
