// `cellab push`: replay the runs of a local store into a server (or another
// store) with their metric history (steps, timestamps), params, tags, dataset
// inputs, artifacts and nesting. Idempotent: a pushed run carries
// `cellab.pushed_from=<local run id>` and is found again next time; only what
// the target lacks is sent. A spooled run (same id as a server run that went
// offline mid-way) is merged into that server run.
import * as fs from 'node:fs';
import { isNotFound } from './errors';
import { FileStore } from './file-store';
import { walkLocalArtifacts } from './local-artifacts';
import { normaliseTrackingUri, localStorePath } from './project';
import { splitBatch } from './batching';
import { getOrCreateExperimentIn, openStore } from './tracking';
import type { ArtifactEntry, Experiment, LogBatch, MetricPoint, RunRecord, Store } from './types';

export const PUSHED_FROM_TAG = 'cellab.pushed_from';
const PARENT_TAG = 'mlflow.parentRunId';
const TERMINAL = ['FINISHED', 'FAILED', 'KILLED'];

export interface PushOptions {
  /** A local store folder (or file: URI). */
  from: string;
  /** Where to: an MLflow server URL, or another local store. */
  to: string;
  /** Push only the local experiment(s) with this name. */
  experiment?: string;
  /** Put the pushed runs into this experiment on the target (default: the same name as locally). */
  toExperiment?: string;
  env?: NodeJS.ProcessEnv;
  retryDelaysMs?: number[];
  log?: (line: string) => void;
}

export interface PushedRun {
  localRunId: string;
  targetRunId: string;
  experiment: string;
  runName: string;
  /** created: new on the target; updated: it was there, something was missing; unchanged: nothing to send. */
  action: 'created' | 'updated' | 'unchanged';
  metrics: number;
  params: number;
  tags: number;
  inputs: number;
  artifacts: number;
  /** Things the target holds differently (e.g. a param with another value); not overwritten. */
  conflicts: string[];
}

export interface PushReport {
  from: string;
  to: string;
  runs: PushedRun[];
  /** Runs not pushed (deleted locally). */
  skipped: { localRunId: string; reason: string }[];
  totals: { created: number; updated: number; unchanged: number; metrics: number; artifacts: number };
}

const pointKey = (p: MetricPoint) => `${p.step}|${p.timestamp}|${Number.isNaN(p.value) ? 'NaN' : p.value}`;

/** Parents before children, then by start time. */
function pushOrder(runs: RunRecord[]): RunRecord[] {
  const byId = new Map(runs.map((r) => [r.info.runId, r]));
  const depth = (r: RunRecord, seen = new Set<string>()): number => {
    const p = r.tags[PARENT_TAG];
    if (!p || !byId.has(p) || seen.has(p)) return 0;
    seen.add(p);
    return 1 + depth(byId.get(p)!, seen);
  };
  return [...runs].sort((a, b) => depth(a) - depth(b) || a.info.startTime - b.info.startTime);
}

async function findTargetRun(target: Store, experimentId: string, local: RunRecord): Promise<RunRecord | undefined> {
  // A spooled run has the id of the server run it continues.
  const same = await target.findRun(local.info.runId);
  if (same) return same;
  const hits = await target.searchRuns({
    experimentIds: [experimentId],
    filter: `tags.\`${PUSHED_FROM_TAG}\` = '${local.info.runId}'`,
    runViewType: 'ALL',
    maxResults: 10,
  });
  return hits.sort((a, b) => a.info.startTime - b.info.startTime)[0];
}

async function sendBatches(target: Store, runId: string, batch: LogBatch): Promise<void> {
  for (const req of splitBatch(batch)) await target.logBatch(runId, req);
}

async function pushArtifacts(source: FileStore, local: RunRecord, target: Store, targetRun: RunRecord, fresh: boolean): Promise<number> {
  const root = source.artifactDir(local.info);
  if (!fs.existsSync(root)) return 0;
  const files = walkLocalArtifacts(root);
  const listed = new Map<string, ArtifactEntry[]>();
  let sent = 0;
  for (const f of files) {
    if (!fresh) {
      const dir = f.path.includes('/') ? f.path.slice(0, f.path.lastIndexOf('/')) : '';
      // A folder the target does not have yet lists as empty; a listing that fails is an error, not "upload all again".
      if (!listed.has(dir)) listed.set(dir, await target.listArtifacts(targetRun.info, dir || undefined).catch((e: unknown) => { if (isNotFound(e)) return []; throw e; }));
      if (listed.get(dir)!.some((e) => e.path === f.path && !e.isDir && e.fileSize === f.fileSize)) continue;
    }
    await target.uploadArtifact(targetRun.info, f.path, fs.readFileSync(`${root}/${f.path}`));
    sent++;
  }
  return sent;
}

/** Replay every run of a local store into `to`. */
export async function pushRuns(o: PushOptions): Promise<PushReport> {
  const log = o.log ?? (() => undefined);
  const fromUri = normaliseTrackingUri(o.from);
  if (!fromUri.startsWith('file:')) throw new Error(`push --from must be a local store folder, got '${o.from}'`);
  const source = new FileStore(localStorePath(fromUri));
  if (!source.exists()) throw new Error(`push --from ${o.from}: no such folder (${source.root}). A local store is a folder like tracking/mlruns.`);
  const target = openStore(o.to, { env: o.env, retryDelaysMs: o.retryDelaysMs });
  if (target instanceof FileStore && target.root === source.root) throw new Error('push --from and --to are the same store');

  let experiments = (await source.listExperiments()).filter((e) => e.lifecycleStage === 'active');
  if (o.experiment !== undefined) {
    const all = experiments.map((e) => e.name);
    experiments = experiments.filter((e) => e.name === o.experiment);
    if (!experiments.length) throw new Error(`push: no experiment named '${o.experiment}' in ${source.root}. Experiments there: ${all.join(', ') || '(none)'}`);
  }

  const report: PushReport = { from: source.root, to: target.uri, runs: [], skipped: [], totals: { created: 0, updated: 0, unchanged: 0, metrics: 0, artifacts: 0 } };
  const idMap = new Map<string, string>();
  const targetExperiments = new Map<string, string>();
  const expOf = new Map<string, Experiment>();
  const runs: RunRecord[] = [];
  for (const e of experiments) {
    for (const r of await source.searchRuns({ experimentIds: [e.experimentId], runViewType: 'ALL' })) {
      if (r.info.lifecycleStage === 'deleted') { report.skipped.push({ localRunId: r.info.runId, reason: 'deleted locally' }); continue; }
      runs.push(r);
      expOf.set(r.info.runId, e);
    }
  }

  for (const local of pushOrder(runs)) {
    const exp = expOf.get(local.info.runId)!;
    const expName = o.toExperiment ?? exp.name;
    let targetExpId = targetExperiments.get(expName);
    if (!targetExpId) {
      targetExpId = await getOrCreateExperimentIn(target, expName, exp.tags);
      targetExperiments.set(expName, targetExpId);
    }
    const tags: Record<string, string> = { ...local.tags, [PUSHED_FROM_TAG]: local.info.runId };
    if (tags[PARENT_TAG]) tags[PARENT_TAG] = idMap.get(tags[PARENT_TAG]) ?? tags[PARENT_TAG];

    let existing = await findTargetRun(target, targetExpId, local);
    const fresh = !existing;
    const item: PushedRun = {
      localRunId: local.info.runId, targetRunId: '', experiment: expName, runName: local.info.runName,
      action: fresh ? 'created' : 'updated', metrics: 0, params: 0, tags: 0, inputs: 0, artifacts: 0, conflicts: [],
    };
    if (!existing) {
      // The marker tag goes in at creation, so an interrupted push is found and completed next time.
      const info = await target.createRun({
        experimentId: targetExpId, runName: local.info.runName || undefined, startTime: local.info.startTime, userId: local.info.userId,
        tags: { [PUSHED_FROM_TAG]: local.info.runId, ...(tags[PARENT_TAG] ? { [PARENT_TAG]: tags[PARENT_TAG] } : {}) },
      });
      existing = { info, metrics: {}, params: {}, tags: {}, inputs: [] };
    }
    const t = existing;
    item.targetRunId = t.info.runId;
    idMap.set(local.info.runId, t.info.runId);

    const params = Object.entries(local.params).filter(([k, v]) => {
      if (t.params[k] === undefined) return true;
      if (t.params[k] !== v) item.conflicts.push(`param ${k}: target has '${t.params[k].slice(0, 40)}', local '${v.slice(0, 40)}'`);
      return false;
    }).map(([key, value]) => ({ key, value }));
    const tagList = Object.entries(tags).filter(([k, v]) => t.tags[k] !== v).map(([key, value]) => ({ key, value }));

    // Metric points the target lacks (all of them for a new run). A target run that
    // already shows the local end status and latest values got everything last time.
    const sameLatest = Object.entries(local.metrics).every(([k, v]) => t.metrics[k] !== undefined && (t.metrics[k] === v || (Number.isNaN(v) && Number.isNaN(t.metrics[k]))));
    const complete = !fresh && TERMINAL.includes(local.info.status) && t.info.status === local.info.status && t.info.endTime === local.info.endTime && sameLatest;
    const metrics: MetricPoint[] = [];
    for (const key of complete ? [] : source.metricKeys(local.info.runId)) {
      const mine = await source.getMetricHistory(local.info.runId, key);
      if (fresh) { metrics.push(...mine); continue; }
      const theirs = new Set((t.metrics[key] === undefined ? [] : await target.getMetricHistory(t.info.runId, key)).map(pointKey));
      metrics.push(...mine.filter((p) => !theirs.has(pointKey(p))));
    }
    await sendBatches(target, t.info.runId, { params, tags: tagList, metrics });
    item.params = params.length;
    item.tags = tagList.length;
    item.metrics = metrics.length;

    const missingInputs = local.inputs.filter((d) => !t.inputs.some((x) => x.name === d.name && x.digest === d.digest && x.context === d.context));
    if (missingInputs.length) await target.logInputs(t.info.runId, missingInputs);
    item.inputs = missingInputs.length;

    item.artifacts = await pushArtifacts(source, local, target, t, fresh);

    // Status last: a target run that shows the local status has everything.
    if (t.info.status !== local.info.status || t.info.endTime !== local.info.endTime) {
      if (TERMINAL.includes(local.info.status) || fresh) await target.updateRun(t.info.runId, local.info.status, local.info.endTime);
    }
    const sentSomething = item.metrics + item.params + item.tags + item.inputs + item.artifacts > 0 ||
      t.info.status !== local.info.status || t.info.endTime !== local.info.endTime;
    if (!fresh && !sentSomething) item.action = 'unchanged';
    report.runs.push(item);
    report.totals[item.action]++;
    report.totals.metrics += item.metrics;
    report.totals.artifacts += item.artifacts;
    log(`push: ${item.action.padEnd(9)} ${local.info.runId} -> ${t.info.runId} (${expName}${local.info.runName ? ` / ${local.info.runName}` : ''}): ` +
      `${item.metrics} metric points, ${item.params} params, ${item.tags} tags, ${item.inputs} inputs, ${item.artifacts} artifacts`);
    for (const c of item.conflicts) log(`push:   kept the target's value: ${c}`);
  }
  return report;
}
