import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initEngine } from '../src/engine/backend';
import { loadExperimentFile } from '../src/experiment/config';
import { loadTrialData } from '../src/experiment/trial';
import { buildModel } from '../src/models/index';
import { cachedFeatures } from '../src/train/features';
import { DEFAULT_C_GRID, trainLinearHead } from '../src/train/linear-head';
(async () => {
  await initEngine({ log: null });
  const root = path.resolve(__dirname, '..');
  const exp = loadExperimentFile(path.join(root, 'experiments', 'quickstart.yaml'));
  const data = await loadTrialData(exp.config, { progress: 'off' });
  const { model } = buildModel(exp.config.model, { inputShape: data.train.shape, classes: data.classes.length, seed: 0 });
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-bench-features-'));
  const [train, val] = [data.train.withOptions({ ...data.train.options, transform: undefined }), data.val].map((s) => cachedFeatures(model, s, { layer: 'features', cacheDir, dataKey: 'bench' }));
  const rows = (f: any) => Array.from({ length: f.n }, (_, i) => Array.from(f.features.subarray(i * f.dim, (i + 1) * f.dim)));
  fs.writeFileSync('/tmp/lh.json', JSON.stringify({ grid: DEFAULT_C_GRID, x: rows(train), y: Array.from(train.labels), xv: rows(val), yv: Array.from(val.labels) }));
  for (let r = 0; r < 3; r++) {
    const t = Date.now();
    const head = trainLinearHead(train, val, data.classes.length, { classifier: 'logistic' });
    console.log('seconds', (Date.now() - t) / 1000, 'iters', head.path.map((p) => p.iterations).join(','), 'C', head.C.toFixed(3), 'val', head.path[head.bestIndex].valAccuracy);
  }
  process.exit(0);
})();
