// `dataset.synthetic`: generate the synthetic HEp-2 set into `synthetic.out`
// (default `dataset.root`) when that folder does not exist yet (the
// quickstart needs no download).
import * as fs from 'node:fs';
import type { DatasetConfig } from './schema';
import { generateLymphocytosis, generateProteinSynthetic, generateSynthetic } from './synth/index';

export async function ensureSynthetic(cfg: DatasetConfig, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): Promise<boolean> {
  if (!cfg.synthetic) return false;
  const s = cfg.synthetic;
  const out = s.out ?? cfg.root;
  if (fs.existsSync(out)) return false;
  const what = s.kind === 'lymphocytosis' ? 'lymphocytosis' : s.kind === 'protein' ? 'protein localisation' : `HEp-2 ${s.kind}`;
  log(`cellab: ${out} does not exist; generating the synthetic ${what} set there (n=${s.n}, seed=${s.seed})`);
  // Generate into a temporary sibling, then rename: an interrupted run never leaves a half set behind.
  const tmp = `${out}.partial-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  // A line per quarter: generating takes tens of seconds for the larger sets.
  let quarter = 0;
  const onProgress = (done: number, total: number) => {
    const q = Math.floor((4 * done) / total);
    if (q > quarter) { quarter = q; log(`cellab: synth ${done}/${total} images (${q * 25}%)`); }
  };
  if (s.kind === 'lymphocytosis') await generateLymphocytosis({ out: tmp, n: s.n, seed: s.seed, onProgress });
  else if (s.kind === 'protein') await generateProteinSynthetic({ out: tmp, n: s.n, seed: s.seed, onProgress, ...(s.anomalies !== undefined ? { anomalyFraction: s.anomalies } : {}) });
  else await generateSynthetic({ out: tmp, kind: s.kind, n: s.n, seed: s.seed, onProgress, ...(s.anomalies !== undefined ? { anomalyFraction: s.anomalies } : {}) });
  try {
    fs.renameSync(tmp, out);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    // Another process generated it first: that copy is as good as ours (same seed).
    if (!fs.existsSync(out)) throw err;
  }
  return true;
}
