// Fine-tuning a published net as a study would: model.pretrained:
// torchvision:resnet18=FILE (random weights written by Debian's PyTorch) on
// small synthetic HEp-2 patterns, the whole backbone frozen for the first
// epoch (its batch norms in inference mode), then unfrozen at a tenth of the
// head's learning rate. The run logs the load report, the parameter count and
// how the input was normalised.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadExperimentFile } from '../../src/experiment/config';
import { runExperiment } from '../../src/experiment/run';
import { torchPython, NO_TORCH } from '../models/torch-python';
import { makeReference } from '../models/parity/reference';

let tmp: string;
before(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-finetune-')); });
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('torchvision:resnet18=FILE fine-tunes on synthetic patterns: frozen backbone, then unfrozen at backboneLrScale 0.1', { timeout: 600_000 }, async (t) => {
  if (!torchPython()) { t.skip(NO_TORCH); return; }
  const ref = makeReference('resnet18', 32, path.join(tmp, 'ref'), 2);
  const file = path.join(tmp, 'finetune.yaml');
  fs.writeFileSync(file, `
name: finetune
dataset:
  format: icpr2012
  root: data
  synthetic: { kind: patterns, n: 96, seed: 3 }
  image: { size: 32, channels: gray, mask: true }
  split: { kind: predefined, valFraction: 0.2, seed: 0 }
  cache: { enabled: false }
model:
  backbone: resnet18
  pretrained: torchvision:resnet18=${path.relative(tmp, ref.pth)}
  freeze: { stages: [stem, stage1, stage2, stage3, stage4] }
  unfreezeAfter: 1
train: { epochs: 3, batchSize: 16, lr: 0.01, backboneLrScale: 0.1, checkpoint: false }
`);
  const lines: string[] = [];
  const store = path.join(tmp, 'mlruns');
  const { summary } = await runExperiment(loadExperimentFile(file, { env: {} }), { trackingUri: store, progress: 'off', log: (l) => lines.push(l) });
  const log = lines.join('\n');
  assert.equal(summary.outcome, 'completed', log);
  assert.match(log, /pretrained torchvision:resnet18 weights from .*model\.pth: loaded 120\/122 weights from pytorch; classifier replaced \(1000 -> 6 classes\)/);
  assert.match(log, /input normalised in the model as the weights expect: mean 0\.449, std 0\.226/);
  assert.match(log, /froze \d+ layers \(stem, stage1, stage2, stage3, stage4\)/);
  assert.match(log, /epoch 2: unfroze every layer/);
  const run = path.join(store, summary.experiment_id, summary.run_id);
  const report = JSON.parse(fs.readFileSync(path.join(run, 'artifacts', 'model', 'pretrained.json'), 'utf8'));
  assert.equal(report.id, 'torchvision:resnet18');
  assert.deepEqual(report.report.head, { layer: 'logits', sourceClasses: 1000, classes: 6 });
  assert.deepEqual([report.report.missing, report.report.unexpected, report.report.shapeMismatch], [[], [], []]);
  assert.equal(report.input.stem, 'repeat');
  const param = (k: string) => fs.readFileSync(path.join(run, 'params', k), 'utf8').trim();
  assert.equal(param('model.params'), String(11_689_512 - 1000 * 512 - 1000 + 6 * 512 + 6));
  assert.equal(param('model.width'), '1');
  assert.equal(param('train.backboneLrScale'), '0.1');
  assert.equal(param('model.input_stem'), 'repeat');
  assert.match(fs.readFileSync(path.join(run, 'tags', 'cellab.pretrained'), 'utf8'), /torchvision:resnet18/);
});
