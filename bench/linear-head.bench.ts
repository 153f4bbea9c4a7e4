// Frozen features + linear head on the synthetic patterns set (1,455 cells,
// the quickstart's data): embed every item once with the quickstart backbone
// (random init, seed 0) through the on-disk cache, then time the C sweep (20
// values, 10^-6..10^2.5, chosen on val) of logistic regression and the linear
// SVM, against scikit-learn doing the same sweep on the same features.
// Row: {bench, net, mode: 'features', classifier, n_train, dim, embed_s,
// cellab_s, sklearn_s, ratio (= cellab_s / sklearn_s), C, test_accuracy}.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initEngine } from '../src/engine/backend';
import { loadExperimentFile } from '../src/experiment/config';
import { loadTrialData } from '../src/experiment/trial';
import { buildModel } from '../src/models/index';
import { cachedFeatures, type FeatureSet } from '../src/train/features';
import { DEFAULT_C_GRID, linearScores, trainLinearHead } from '../src/train/linear-head';

const SKLEARN = `
import json, sys, time, numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC
from sklearn.preprocessing import StandardScaler
d = json.load(open(sys.argv[1]))
X, y, Xv, yv = (np.array(d[k]) for k in ("x", "y", "xv", "yv"))
t = time.perf_counter()
sc = StandardScaler().fit(X); X, Xv = sc.transform(X), sc.transform(Xv)
best = None
for C in d["grid"]:
    m = (LogisticRegression(C=C) if d["kind"] == "logistic" else LinearSVC(C=C)).fit(X, y)
    a = (m.predict(Xv) == yv).mean()
    if best is None or a > best[0]: best = (a, C)
print(json.dumps({"seconds": time.perf_counter() - t, "C": best[1]}))
`;

const rows2 = (f: FeatureSet) => Array.from({ length: f.n }, (_, i) => Array.from(f.features.subarray(i * f.dim, (i + 1) * f.dim)));

export default async function bench(): Promise<Record<string, unknown>[]> {
  await initEngine({ log: null });
  const root = path.resolve(__dirname, '..');
  const exp = loadExperimentFile(path.join(root, 'experiments', 'quickstart.yaml'));
  const data = await loadTrialData(exp.config, { progress: 'off' });
  const { model } = buildModel(exp.config.model, { inputShape: data.train.shape, classes: data.classes.length, seed: 0 });
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-bench-features-'));
  const t0 = Date.now();
  const [train, val, test] = await Promise.all([data.train.withOptions({ ...data.train.options, transform: undefined }), data.val, data.test]
    .map((s) => cachedFeatures(model, s, { layer: 'features', cacheDir, dataKey: 'bench' })));
  const embedSeconds = (Date.now() - t0) / 1000;
  const out: Record<string, unknown>[] = [];
  const tmp = path.join(cacheDir, 'features.json');
  for (const classifier of ['logistic', 'svm'] as const) {
    const t = Date.now();
    const head = trainLinearHead(train, val, data.classes.length, { classifier });
    const cellab = (Date.now() - t) / 1000;
    const s = linearScores(head, test);
    let correct = 0;
    for (let i = 0; i < test.n; i++) {
      const row = Array.from(s.subarray(i * head.model.k, (i + 1) * head.model.k));
      if (row.indexOf(Math.max(...row)) === test.labels[i]) correct++;
    }
    fs.writeFileSync(tmp, JSON.stringify({ kind: classifier, grid: DEFAULT_C_GRID, x: rows2(train), y: Array.from(train.labels), xv: rows2(val), yv: Array.from(val.labels) }));
    const r = spawnSync('/usr/bin/python3', ['-c', SKLEARN, tmp], { encoding: 'utf8' });
    const sk = r.status === 0 ? JSON.parse(r.stdout.trim().split('\n').pop()!) as { seconds: number } : undefined;
    out.push({ bench: 'linear-head', net: 'small-cnn', mode: 'features', classifier, items: train.n + val.n + test.n, n_train: train.n, dim: train.dim,
      embed_s: embedSeconds, cellab_s: cellab, ...(sk ? { sklearn_s: sk.seconds, ratio: cellab / sk.seconds } : {}), C: head.C, test_accuracy: correct / test.n });
  }
  model.dispose();
  data.close();
  fs.rmSync(cacheDir, { recursive: true, force: true });
  return out;
}
