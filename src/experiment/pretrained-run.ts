// `model.pretrained` naming an earlier run instead of a folder:
//   runs:/<run id>            that run's logged checkpoint
//   experiment:<name>         the latest FINISHED run of that experiment (same tracking store)
//                             with the same backbone and a logged checkpoint
// Nothing can be downloaded from a model hub here, so transfer learning starts
// from our own runs (e.g. the patterns study pretrains the intensity study).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Tracking } from '../tracking/index';
import type { RunRecord } from '../tracking/types';
import { ConfigError } from '../engine/schema';

export function isRunReference(value: string | null | undefined): value is string {
  return !!value && /^(runs:\/|experiment:)/.test(value);
}

async function findRun(tracking: Tracking, ref: string, backbone: string): Promise<RunRecord> {
  if (ref.startsWith('runs:/')) {
    const id = ref.slice('runs:/'.length).split('/')[0];
    return tracking.getRun(id).catch((err: Error) => {
      throw new ConfigError([`model.pretrained ${ref}: ${err.message}`]);
    });
  }
  const name = ref.slice('experiment:'.length);
  const expId = await tracking.getOrCreateExperiment(name);
  const runs = await tracking.searchRuns({
    experimentIds: [expId], filter: `attributes.status = 'FINISHED' AND params.\`model.backbone\` = '${backbone}'`,
    orderBy: ['attributes.start_time DESC'], maxResults: 50,
  });
  for (const r of runs) {
    const listing = await tracking.listArtifacts(r.info.runId).catch(() => []);
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
