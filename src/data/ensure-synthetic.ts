// `dataset.synthetic`: generate the synthetic HEp-2 set into `synthetic.out`
// (default `dataset.root`) when that folder does not exist yet (the
// quickstart needs no download).
import * as fs from 'node:fs';
import type { DatasetConfig } from './schema';
import { generateProteinSynthetic, generateSynthetic } from './synth/index';

export async function ensureSynthetic(cfg: DatasetConfig, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<boolean> {
  if (!cfg.synthetic) return false;
  const s = cfg.synthetic;
  const out = s.out ?? cfg.root;
  if (fs.existsSync(out)) return false;
  log(`cellab: ${out} does not exist; generating the synthetic ${s.kind === 'protein' ? 'protein localisation' : `HEp-2 ${s.kind}`} set there (n=${s.n}, seed=${s.seed})`);
  // Generate into a temporary sibling, then rename: an interrupted run never leaves a half set behind.
  const tmp = `${out}.partial-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const anomalies = s.anomalies !== undefined ? { anomalyFraction: s.anomalies } : {};
  if (s.kind === 'protein') await generateProteinSynthetic({ out: tmp, n: s.n, seed: s.seed, ...anomalies });
  else await generateSynthetic({ out: tmp, kind: s.kind, n: s.n, seed: s.seed, ...anomalies });
  try {
    fs.renameSync(tmp, out);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    // Another process generated it first: that copy is as good as ours (same seed).
    if (!fs.existsSync(out)) throw err;
  }
  return true;
}
