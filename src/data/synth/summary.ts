// What generateSynthetic() returns and writes into README.md.
import type { ItemPlan } from './plan';

export type SynthKind = 'patterns' | 'intensity';

export interface SynthSummary {
  out: string;
  kind: SynthKind;
  n: number;
  seed: number;
  anomalyFraction: number;
  specimens: number;
  /** Number of files written (images, masks, CSVs, README). */
  files: number;
  byPattern: Record<string, number>;
  byIntensity: Record<string, number>;
  bySplit: Record<string, number>;
  byAnomaly: Record<string, number>;
  /** Wall-clock time of the generation; not written to any file. */
  seconds: number;
}

export function countBy(items: readonly ItemPlan[], key: 'pattern' | 'intensity' | 'split' | 'anomaly'): Record<string, number> {
  const out: Record<string, number> = {};
  for (const it of items) out[it[key]] = (out[it[key]] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
