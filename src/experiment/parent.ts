// One parent run per sweep, even when shards start at the same moment.
// Neither MLflow nor its file store can create-if-absent, so every shard that
// finds no parent creates a candidate, waits for the others to appear, and all
// elect the same winner: the earliest start time, then the smallest run id.
// Losers are deleted (invisible in the UI) and their children re-parented.
import type { Tracking } from '../tracking/index';
import type { RunRecord, Store } from '../tracking/types';

export const SWEEP_ID_TAG = 'cellab.sweep_id';
export const SWEEP_ROLE_TAG = 'cellab.sweep_role';

export interface ParentInfo {
  runId: string;
  /** True when this process created the winning parent. */
  created: boolean;
}

function quote(v: string): string {
  return `'${v.replace(/'/g, "\\'")}'`;
}

export async function findParents(tracking: Tracking, experimentId: string, sweepId: string): Promise<RunRecord[]> {
  const runs = await tracking.searchRuns({
    experimentIds: [experimentId],
    filter: `tags.\`${SWEEP_ID_TAG}\` = ${quote(sweepId)} AND tags.\`${SWEEP_ROLE_TAG}\` = 'parent'`,
    maxResults: 1000,
  });
  return runs.filter((r) => r.info.lifecycleStage !== 'deleted');
}

export function elect(parents: RunRecord[]): RunRecord | undefined {
  return [...parents].sort((a, b) => a.info.startTime - b.info.startTime || (a.info.runId < b.info.runId ? -1 : 1))[0];
}

export async function findChildren(tracking: Tracking, experimentId: string, parentRunId: string): Promise<RunRecord[]> {
  return tracking.searchRuns({
    experimentIds: [experimentId],
    filter: `tags.\`mlflow.parentRunId\` = ${quote(parentRunId)}`,
    maxResults: 10000,
  });
}

/**
 * Make sure exactly one parent with `sweepId` stays visible: re-parent the
 * children of any loser to the winner and delete the losers. Idempotent; every
 * shard calls it before it finishes.
 */
export async function reconcileParents(tracking: Tracking, experimentId: string, sweepId: string): Promise<string | undefined> {
  const parents = await findParents(tracking, experimentId, sweepId);
  const winner = elect(parents);
  if (!winner) return undefined;
  const store = tracking.store;
  for (const loser of parents) {
    if (loser.info.runId === winner.info.runId) continue;
    for (const child of await findChildren(tracking, experimentId, loser.info.runId)) {
      await tracking.setTag(child.info.runId, 'mlflow.parentRunId', winner.info.runId);
    }
    try {
      await store.deleteRun(loser.info.runId);
    } catch (err) {
      // Another shard deleted it first.
      if (!/does not exist|not found|deleted/i.test((err as Error).message)) throw err;
    }
  }
  return winner.info.runId;
}

export interface FindOrCreateOptions {
  tracking: Tracking;
  experimentId: string;
  sweepId: string;
  create: () => Promise<string>;
  /** How long to wait for concurrent shards' candidates before electing. */
  settleMs?: number;
}

export async function findOrCreateParent(o: FindOrCreateOptions): Promise<ParentInfo> {
  const existing = elect(await findParents(o.tracking, o.experimentId, o.sweepId));
  if (existing) return { runId: existing.info.runId, created: false };
  const mine = await o.create();
  await new Promise((r) => setTimeout(r, o.settleMs ?? 1500));
  const winner = await reconcileParents(o.tracking, o.experimentId, o.sweepId);
  return { runId: winner ?? mine, created: winner === mine };
}
