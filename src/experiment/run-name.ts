// Run names that tell trials apart in MLflow's run list and compare view:
//   <experiment>-<backbone>-lr<lr>[-<other swept value>...]-<4 chars of the configuration's hash>[-fold<k>]
// and `<experiment>-sweep-<id>` for a sweep's parent. The hash part is the trial's
// configuration (folds share it), so a re-run of the same configuration has the same name.
import { configHash } from './config';
import type { ExperimentConfig } from './schema';

const SKIP = new Set(['model.backbone', 'train.lr']);

function compact(v: unknown): string {
  const s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  // Run names show in URLs and file listings: keep them to one token.
  return s.replace(/[\s{}"[\]]+/g, '').replace(/[:,]/g, '_').slice(0, 24);
}

/**
 * Swept params with a swept section mapping (`model: [{backbone: resnet18, width: 0.25}]`)
 * read as its dotted keys (`model.backbone`, `model.width`), as a trial's label does.
 */
export function flatParams(params: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) {
    if (!k.includes('.') && v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k2, v2] of Object.entries(v as Record<string, unknown>)) out[`${k}.${k2}`] = v2;
    } else out[k] = v;
  }
  return out;
}

export function trialRunName(name: string, config: ExperimentConfig, o: { params?: Record<string, unknown>; fold?: number; projectRoot?: string } = {}): string {
  const parts = [name, config.model.backbone, `lr${compact(config.train.lr)}`];
  for (const [k, v] of Object.entries(flatParams(o.params ?? {}))) {
    if (!SKIP.has(k)) parts.push(`${k.split('.').pop()}${compact(v)}`);
  }
  parts.push(configHash(config, {}, o.projectRoot).slice(0, 4));
  if (o.fold !== undefined) parts.push(`fold${o.fold}`);
  return parts.join('-');
}

/** A sweep id is `<16 hex of the config>[-<suffix>]`: six hex digits say which configuration, the suffix which run of it. */
export function sweepRunName(name: string, sweepId: string): string {
  const m = /^([0-9a-f]{16})(?:-(.+))?$/.exec(sweepId);
  return `${name}-sweep-${m ? `${m[1].slice(0, 6)}${m[2] ? `-${m[2]}` : ''}` : sweepId}`;
}
