// Threshold search on 10^6 binary scores vs scikit-learn's roc_curve on the same data (one
// run each, after a small warm-up). Row: {bench, n, cellab_ms, sklearn_ms, ratio} with
// ratio = cellab_ms / sklearn_ms (<= 1: cellab is no slower). Needs /usr/bin/python3 with sklearn.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { searchThreshold } from '../src/eval/threshold';

const SKLEARN = `
import sys, time, numpy as np
from sklearn.metrics import roc_curve
n = int(sys.argv[3])
scores = np.fromfile(sys.argv[1], dtype=np.float64, count=n)
labels = np.fromfile(sys.argv[2], dtype=np.uint8, count=n)
roc_curve(labels[:1000], scores[:1000])
t = time.perf_counter()
roc_curve(labels, scores)
print((time.perf_counter() - t) * 1000)
`;

function data(n: number, seed = 1): { scores: number[]; labels: (0 | 1)[] } {
  let s = seed;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647);
  const labels: (0 | 1)[] = new Array(n), scores: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = rand() < 0.3 ? 1 : 0;
    // Scores rounded to 1e-4 so that there are ties, as with real classifier outputs.
    scores[i] = Math.round((labels[i] * 0.3 + rand() * 0.7) * 1e4) / 1e4;
  }
  return { scores, labels };
}

export default async function thresholdBench(o: { json: boolean }): Promise<Record<string, unknown>[]> {
  const n = 1_000_000;
  const { scores, labels } = data(n);
  const warm = data(10_000, 2);
  searchThreshold(warm.scores, warm.labels, { metric: 'youden' });
  const t0 = performance.now();
  const best = searchThreshold(scores, labels, { metric: 'youden' });
  const cellabMs = performance.now() - t0;

  const dir = mkdtempSync(path.join(os.tmpdir(), 'cellab-bench-'));
  let sklearnMs: number;
  try {
    writeFileSync(path.join(dir, 'scores.f64'), Buffer.from(Float64Array.from(scores).buffer));
    writeFileSync(path.join(dir, 'labels.u8'), Uint8Array.from(labels));
    const r = spawnSync('/usr/bin/python3', ['-c', SKLEARN, path.join(dir, 'scores.f64'), path.join(dir, 'labels.u8'), String(n)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`scikit-learn run failed (is python3-sklearn installed?): ${r.stderr}`);
    sklearnMs = Number(r.stdout.trim());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const row = { bench: 'threshold-search', n, metric: 'youden', cellab_ms: Math.round(cellabMs * 10) / 10, sklearn_ms: Math.round(sklearnMs * 10) / 10, ratio: Math.round((cellabMs / sklearnMs) * 100) / 100 };
  if (!o.json) {
    console.log(`threshold search, n=${n}: cellab ${row.cellab_ms} ms (best youden threshold ${best.threshold}), scikit-learn roc_curve ${row.sklearn_ms} ms, ratio ${row.ratio}`);
  }
  return [row];
}

if (require.main === module) thresholdBench({ json: process.argv.includes('--json') }).then((rows) => console.log(JSON.stringify({ results: rows })));
