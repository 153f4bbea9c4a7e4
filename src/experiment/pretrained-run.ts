// `model.pretrained` naming an earlier run instead of a folder:
//   runs:/<run id>            that run's logged checkpoint
//   experiment:<name>         the latest FINISHED run of that experiment (same tracking store)
//                             with the same backbone and a logged checkpoint
// Nothing can be downloaded from a model hub here, so transfer learning starts
// from our own runs (e.g. the patterns study pretrains the intensity study).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isNotFound, type Tracking } from '../tracking/index';
import type { RunRecord } from '../tracking/types';
import { ConfigError } from '../engine/schema';

export function isRunReference(value: string | null | undefined): value is string {
  return !!value && /^(runs:\/|experiment:)/.test(value);
}

/** A store that did not answer (or failed) is not bad config: say which request failed, keep it a run error. */
function storeError(ref: string, what: string, tracking: Tracking, err: unknown): Error {
  return new Error(`model.pretrained ${ref}: cannot ${what} in ${tracking.uri}: ${(err as Error).message}`);
}

async function findRun(tracking: Tracking, ref: string, backbone: string): Promise<RunRecord> {
  if (ref.startsWith('runs:/')) {
    const id = ref.slice('runs:/'.length).split('/')[0];
    return tracking.getRun(id).catch((err: Error) => {
      if (isNotFound(err)) throw new ConfigError([`model.pretrained ${ref}: ${err.message}. Check the run id (the MLflow UI shows it), or set model.pretrained: null.`]);
      throw storeError(ref, `read run ${id}`, tracking, err);
    });
  }
  const name = ref.slice('experiment:'.length);
  // Look the experiment up; never create it (a typo must not leave an empty experiment behind).
  const exp = await tracking.store.getExperimentByName(name).catch((err: unknown) => { throw storeError(ref, `look up experiment '${name}'`, tracking, err); });
  if (!exp || exp.lifecycleStage === 'deleted') {
    throw new ConfigError([`model.pretrained ${ref}: experiment '${name}' ${exp ? 'is deleted' : 'does not exist'} in ${tracking.uri}. ` +
      'Run that experiment first (with train.checkpoint: true) against the same tracking store, or fix the name.']);
  }
  const runs = await tracking.searchRuns({
    experimentIds: [exp.experimentId], filter: `attributes.status = 'FINISHED' AND params.\`model.backbone\` = '${backbone}'`,
    orderBy: ['attributes.start_time DESC'], maxResults: 50,
  }).catch((err: unknown) => { throw storeError(ref, `search the runs of experiment '${name}'`, tracking, err); });
  for (const r of runs) {
    const listing = await tracking.listArtifacts(r.info.runId).catch((err: unknown) => {
      throw storeError(ref, `list the artifacts of run ${r.info.runId}`, tracking, err);
    });
    if (listing.some((a) => a.path === 'checkpoint')) return r;
  }
  throw new ConfigError([`model.pretrained ${ref}: experiment '${name}' in ${tracking.uri} has no FINISHED run of backbone '${backbone}' with a checkpoint. ` +
    `Run that experiment first (with train.checkpoint: true), or set model.pretrained: null.`]);
}

/** A local folder holding the run's checkpoint (downloaded for server stores). */
export async function resolvePretrainedRun(tracking: Tracking, ref: string, backbone: string, cacheDir: string): Promise<{ dir: string; runId: string }> {
  const run = await findRun(tracking, ref, backbone);
  const uri = run.info.artifactUri;
  if (uri.startsWith('file:')) {
    const local = path.join(decodeURIComponent(new URL(uri).pathname), 'checkpoint');
    if (fs.existsSync(local)) return { dir: local, runId: run.info.runId };
  }
  const dir = path.join(cacheDir, run.info.runId, 'checkpoint');
  if (!fs.existsSync(path.join(dir, '.complete'))) {
    fs.mkdirSync(dir, { recursive: true });
    for (const a of await tracking.listArtifacts(run.info.runId, 'checkpoint')) {
      if (a.isDir) continue;
      fs.writeFileSync(path.join(dir, path.basename(a.path)), await tracking.downloadArtifact(run.info.runId, a.path));
    }
    fs.writeFileSync(path.join(dir, '.complete'), '');
  }
  return { dir, runId: run.info.runId };
}
