// `cellab report`: one shareable HTML file comparing the runs of an experiment
// (by default its latest sweep), read from a local store or a server: parameters
// that differ, a sortable metrics table, training curves overlaid, the sweep plot,
// confusion matrices side by side, and the best run's galleries.
import type { Tracking } from '../tracking/index';
import type { RunRecord } from '../tracking/types';
import { reportHtml, runCurvesSpec, sweepSpec, type ReportImage, type ReportSection, type RunCurvePoint, type VegaLiteSpec } from '../plots/index';
import { findChildren, SWEEP_ROLE_TAG } from './parent';

export interface ReportOptions {
  /** Run ids to compare; a sweep parent's id brings its trials. Default: the experiment's latest sweep, else its latest runs. */
  runIds?: string[];
  /** Runs at most in the curves and confusion matrices (default 12). */
  maxRuns?: number;
  title?: string;
  /** Fixed "generated at" time (tests). */
  now?: Date;
}

export interface ReportResult {
  html: string;
  /** The runs compared (a sweep parent is not among them). */
  runs: RunRecord[];
  parent?: RunRecord;
  bestRunIds: string[];
  charts: number;
  images: number;
}

const GALLERY_ORDER = ['top_losses', 'most_confused', 'gradcam', 'misclassified_', 'samples_per_class', 'augmentation', 'anomalies'];
const REPORTED = ['accuracy', 'average_class_accuracy', 'balanced_accuracy', 'macro_f1', 'auc'];

const isParent = (r: RunRecord) => r.tags[SWEEP_ROLE_TAG] === 'parent';
const outcomeOf = (r: RunRecord) => r.tags['cellab.outcome'] ?? (r.info.status === 'FINISHED' ? 'completed' : r.info.status.toLowerCase());
const nameOf = (r: RunRecord) => r.info.runName || r.info.runId.slice(0, 8);

function parseParam(v: string | undefined): unknown {
  if (v === undefined) return undefined;
  const n = Number(v);
  return v.trim() !== '' && Number.isFinite(n) ? n : v;
}

/** The runs to compare and their sweep parent, if any. */
export async function reportRuns(tracking: Tracking, experimentId: string, runIds?: string[]): Promise<{ runs: RunRecord[]; parent?: RunRecord }> {
  const alive = (rs: RunRecord[]) => rs.filter((r) => r.info.lifecycleStage !== 'deleted');
  if (runIds?.length) {
    let parent: RunRecord | undefined;
    const runs: RunRecord[] = [];
    for (const id of runIds) {
      const r = await tracking.getRun(id).catch((err: Error) => { throw new Error(`--runs ${id}: ${err.message}`); });
      if (isParent(r)) {
        parent ??= r;
        runs.push(...alive(await findChildren(tracking, r.info.experimentId, r.info.runId)));
      } else runs.push(r);
    }
    return { runs: [...new Map(runs.map((r) => [r.info.runId, r])).values()].sort((a, b) => a.info.startTime - b.info.startTime), parent };
  }
  const parents = await tracking.searchRuns({ experimentIds: [experimentId], filter: `tags.\`${SWEEP_ROLE_TAG}\` = 'parent'`, orderBy: ['attributes.start_time DESC'], maxResults: 1 });
  if (parents[0]) {
    const children = alive(await findChildren(tracking, experimentId, parents[0].info.runId)).sort((a, b) => a.info.startTime - b.info.startTime);
    return { runs: children, parent: parents[0] };
  }
  const latest = (await tracking.searchRuns({ experimentIds: [experimentId], orderBy: ['attributes.start_time DESC'], maxResults: 50 }))
    .filter((r) => !isParent(r) && r.tags['cellab.kind'] !== 'lr-find').slice(0, 20).reverse();
  return { runs: latest };
}

async function pngArtifacts(tracking: Tracking, run: RunRecord): Promise<ReportImage[]> {
  const listing = await tracking.listArtifacts(run.info.runId, 'plots').catch(() => []);
  const pngs = listing.filter((a) => !a.isDir && a.path.endsWith('.png')).map((a) => a.path);
  const rank = (p: string) => {
    const base = p.split('/').pop()!;
    const i = GALLERY_ORDER.findIndex((g) => base.startsWith(g));
    return i < 0 ? 99 : i;
  };
  const chosen = pngs.filter((p) => rank(p) < 99).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const out: ReportImage[] = [];
  for (const p of chosen) out.push({ title: `${nameOf(run)}: ${p}`, png: await tracking.downloadArtifact(run.info.runId, p) });
  return out;
}

export async function buildReport(tracking: Tracking, experiment: { id: string; name: string }, o: ReportOptions = {}): Promise<ReportResult> {
  const { runs, parent } = await reportRuns(tracking, experiment.id, o.runIds);
  if (runs.length === 0) {
    throw new Error(`experiment '${experiment.name}' in ${tracking.uri} has no runs to report${o.runIds?.length ? ` among ${o.runIds.join(', ')}` : ''}: run it first (run-experiment FILE)`);
  }
  const max = o.maxRuns ?? 12;
  const split = runs.find((r) => r.params['eval.split'])?.params['eval.split'] ?? 'test';
  // Best: what the sweep chose (on validation), else the highest validation accuracy.
  let bestRunIds = (parent?.tags['cellab.best_run_ids'] ?? '').split(',').filter(Boolean);
  if (!bestRunIds.length) {
    const ranked = runs.filter((r) => outcomeOf(r) === 'completed' && Number.isFinite(r.metrics['val/best_accuracy']))
      .sort((a, b) => b.metrics['val/best_accuracy'] - a.metrics['val/best_accuracy']);
    bestRunIds = ranked.length ? [ranked[0].info.runId] : runs.filter((r) => outcomeOf(r) === 'completed').slice(0, 1).map((r) => r.info.runId);
  }
  const best = new Set(bestRunIds);

  // Params: the swept keys (from the parent), else those that differ between the runs.
  const allKeys = [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort();
  const differ = allKeys.filter((k) => new Set(runs.map((r) => r.params[k] ?? '')).size > 1);
  // The sweep's keys as the runs' params: a swept mapping (`model: [{backbone, width}]`) is its dotted keys that
  // differ; a search's own settings (method, trials, prune, ...) are no params of a run.
  const swept = (parent ? Object.keys(parent.params).filter((k) => k.startsWith('sweep.') && k !== 'sweep.size').map((k) => k.slice('sweep.'.length)) : [])
    .flatMap((k) => (allKeys.includes(k) ? [k] : differ.filter((d) => d.startsWith(`${k}.`))));
  const shown = [...new Set([...swept, ...differ.filter((k) => k === 'fold')])];
  const keys = shown.length ? shown : differ.slice(0, 6);
  const metricKeys = REPORTED.filter((m) => runs.some((r) => r.metrics[`${split}/${m}`] !== undefined));

  const sections: ReportSection[] = [];
  const rowsOrder = runs.map((r, i) => ({ r, i }));
  sections.push({
    heading: 'Runs',
    text: [`${runs.length} run(s)${parent ? ` of sweep ${parent.info.runName}` : ''}. Click a column header to sort. ` +
      `${bestRunIds.length ? `Highlighted: the best configuration${parent ? ', chosen by the sweep on validation (never on the test split)' : ' by validation accuracy'}.` : 'No run completed.'}`],
    table: {
      sortable: true,
      columns: ['run', ...keys.map((k) => k.split('.').pop()!), 'outcome', 'val acc (selected epoch)', ...metricKeys.map((m) => `${split} ${m.replace(/_/g, ' ')}`), 'best epoch'],
      rows: rowsOrder.map(({ r }) => [nameOf(r), ...keys.map((k) => parseParam(r.params[k]) as string | number | undefined), outcomeOf(r), r.metrics['val/best_accuracy'],
        ...metricKeys.map((m) => r.metrics[`${split}/${m}`]), r.metrics['train/best_epoch']]),
      highlight: rowsOrder.filter(({ r }) => best.has(r.info.runId)).map(({ i }) => i),
    },
  });
  if (differ.length) {
    const limited = differ.slice(0, 60);
    sections.push({
      heading: 'Parameters that differ',
      text: [`${differ.length} of ${allKeys.length} parameter(s) differ between the runs${differ.length > limited.length ? ` (first ${limited.length} shown)` : ''}; the rest are equal.`],
      table: { columns: ['parameter', ...runs.map(nameOf)], rows: limited.map((k) => [k, ...runs.map((r) => r.params[k] ?? '')]) },
    });
  }

  // Training curves, overlaid (best first).
  const trained = runs.filter((r) => ['completed', 'diverged', 'pruned'].includes(outcomeOf(r)))
    .sort((a, b) => Number(best.has(b.info.runId)) - Number(best.has(a.info.runId)) || (b.metrics['val/best_accuracy'] ?? -1) - (a.metrics['val/best_accuracy'] ?? -1)).slice(0, max);
  const points: RunCurvePoint[] = [];
  for (const r of trained) {
    for (const key of ['val/accuracy', 'val/loss', 'train/loss', 'train/accuracy']) {
      for (const p of await tracking.getMetricHistory(r.info.runId, key)) points.push({ run: nameOf(r), epoch: p.step, metric: key, value: p.value });
    }
  }
  const charts: VegaLiteSpec[] = [];
  const curveMetrics = ['val/accuracy', 'val/loss', 'train/accuracy', 'train/loss'].filter((m) => points.some((p) => p.metric === m));
  if (curveMetrics.length) {
    const spec = runCurvesSpec(points, { metrics: curveMetrics, title: 'Training curves by run' });
    charts.push(spec);
    sections.push({ heading: 'Training curves', text: [`Per epoch, ${trained.length} run(s)${trained.length < runs.length ? ` (of ${runs.length}; runs that did not train are left out)` : ''}.`], charts: [spec] });
  }
  if (parent && swept.length && metricKeys.length) {
    const metric = `${split}/${metricKeys.includes('average_class_accuracy') ? 'average_class_accuracy' : metricKeys[0]}`;
    const trialRows = runs.map((r, i) => ({
      trial: Number(r.tags['cellab.trial_index'] ?? i), outcome: outcomeOf(r), metrics: r.metrics,
      params: Object.fromEntries([...swept, ...(r.params.fold !== undefined ? ['fold'] : [])].map((k) => [k, parseParam(r.params[k])])),
      ...(r.params.fold !== undefined ? { fold: Number(r.params.fold) } : {}),
    }));
    const x = swept.find((k) => /(^|\.)lr$/.test(k));
    const spec = sweepSpec(trialRows, { metric, x, color: swept.find((k) => k !== x), title: `${metric} across the sweep` });
    charts.push(spec);
    sections.push({ heading: 'Sweep', text: [`Each configuration's ${metric}; folds are averaged with ±1 std.`], charts: [spec] });
  }
  // A search (random, tpe, or pruning): the plot its parent logged (objective by trial, parameters, importance).
  if (parent && (await tracking.listArtifacts(parent.info.runId, 'plots').catch(() => [])).some((a) => a.path === 'plots/search.vl.json')) {
    const spec = JSON.parse((await tracking.downloadArtifact(parent.info.runId, 'plots/search.vl.json')).toString('utf8')) as VegaLiteSpec;
    charts.push(spec);
    sections.push({ heading: 'Search', text: ['The objective (best-epoch validation accuracy) trial by trial, the parameters against it and their importance, as the sweep logged them.'], charts: [spec] });
  }
  const cms: VegaLiteSpec[] = [];
  for (const r of runs.filter((x) => outcomeOf(x) === 'completed').sort((a, b) => Number(best.has(b.info.runId)) - Number(best.has(a.info.runId))).slice(0, max)) {
    const listing = await tracking.listArtifacts(r.info.runId, 'plots').catch(() => []);
    if (!listing.some((a) => a.path === 'plots/confusion_matrix.vl.json')) continue;
    const spec = JSON.parse((await tracking.downloadArtifact(r.info.runId, 'plots/confusion_matrix.vl.json')).toString('utf8')) as VegaLiteSpec;
    cms.push({ ...spec, title: `${best.has(r.info.runId) ? '★ ' : ''}${nameOf(r)}` });
  }
  if (cms.length) {
    charts.push(...cms);
    sections.push({ heading: 'Confusion matrices', text: [`On the ${split} split; rows are the true classes.`], charts: cms });
  }
  let images: ReportImage[] = [];
  const bestRun = runs.find((r) => r.info.runId === bestRunIds[0]);
  if (bestRun) {
    images = await pngArtifacts(tracking, bestRun);
    sections.push({
      heading: `The best run: ${nameOf(bestRun)}`,
      text: [images.length ? 'Its error analysis (top losses, most confused pairs, Grad-CAM, misclassified items per class), its data (cells per class, the augmentation, the anomaly filter\'s dropped images), as logged with the run.'
        : 'This run logged no galleries (tracking.errorAnalysis was off, or the run predates them).'],
      images,
    });
  }
  const when = (o.now ?? new Date()).toISOString().replace('T', ' ').slice(0, 16);
  const html = await reportHtml({
    title: o.title ?? `${experiment.name}${parent ? `: ${parent.info.runName}` : ''}`,
    subtitle: `experiment ${experiment.name} · ${tracking.uri} · ${runs.length} run(s) · generated ${when} UTC by cellab report`,
    sections,
  });
  return { html, runs, parent, bestRunIds, charts: charts.length, images: images.length };
}
