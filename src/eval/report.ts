import type { ClassificationEvaluation } from './evaluate';

/**
 * Python's format(x, '.{digits}f'): the exact binary value rounded half-to-even, where
 * JavaScript's toFixed rounds exact halves up (0.125 -> "0.13" in JS, "0.12" in Python).
 */
export function formatFixed(x: number, digits: number): string {
  const exact = Math.abs(x).toFixed(100); // the double's full decimal expansion
  const dot = exact.indexOf('.');
  const tail = exact.slice(dot + 1 + digits);
  if (!/^50*$/.test(tail)) return x.toFixed(digits);
  const truncated = exact.slice(0, dot + 1 + digits).replace(/\.$/, '');
  const lastDigit = Number(truncated[truncated.length - 1]);
  const magnitude = Number(truncated) + (lastDigit % 2 === 1 ? 10 ** -digits : 0);
  return (x < 0 ? '-' : '') + magnitude.toFixed(digits);
}

/** A text table like scikit-learn's classification_report (same layout and rounding). */
export function classificationReport(e: ClassificationEvaluation, o: { digits?: number } = {}): string {
  const digits = o.digits ?? 2;
  const names = e.perClass.map((p) => p.className);
  const width = Math.max(...names.map((n) => n.length), 'weighted avg'.length, digits);
  const cell = (s: string) => ' ' + s.padStart(9);
  const num = (x: number) => cell(formatFixed(x, digits));
  let out = ''.padStart(width) + ' ' + ['precision', 'recall', 'f1-score', 'support'].map(cell).join('') + '\n\n';
  for (const p of e.perClass) out += p.className.padStart(width) + ' ' + num(p.precision) + num(p.recall) + num(p.f1) + cell(String(p.support)) + '\n';
  out += '\n';
  const total = e.perClass.reduce((s, p) => s + p.support, 0);
  const n = e.perClass.length;
  // scikit-learn labels the micro row "accuracy" when every class occurs in truth or predictions.
  const seen = new Set([...e.predictions, ...e.perClass.flatMap((p, c) => (p.support > 0 ? [c] : []))]);
  const m = e.metrics;
  const accuracy = m.accuracy;
  if (seen.size === n) out += 'accuracy'.padStart(width) + ' ' + cell('') + cell('') + num(accuracy) + cell(String(total)) + '\n';
  else out += 'micro avg'.padStart(width) + ' ' + num(accuracy) + num(accuracy) + num(accuracy) + cell(String(total)) + '\n';
  out += 'macro avg'.padStart(width) + ' ' + num(m.macro_precision) + num(m.macro_recall) + num(m.macro_f1) + cell(String(total)) + '\n';
  out += 'weighted avg'.padStart(width) + ' ' + num(m.weighted_precision) + num(m.weighted_recall) + num(m.weighted_f1) + cell(String(total)) + '\n';
  return out;
}
