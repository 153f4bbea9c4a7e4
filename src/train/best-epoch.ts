// The best-checkpoint rule (DESIGN.md): highest validation accuracy, ties
// broken by lower validation loss.
import type { EpochRow } from './history';

export function isBetterEpoch(a: EpochRow, b: EpochRow | undefined): boolean {
  if (!b) return true;
  const accA = a['val/accuracy'], accB = b['val/accuracy'];
  if (accA !== accB) return accA > accB;
  return a['val/loss'] < b['val/loss'];
}
