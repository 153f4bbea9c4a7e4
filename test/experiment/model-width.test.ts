// The architecture is in the record: a backbone's width is written into the
// resolved config (its default when absent), so it is an MLflow param and part
// of `cellab.config_hash`: --resume never takes a trial trained at another
// width for this one. Swept backbones are resolved per trial.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveConfig, configHash, flattenConfig } from '../../src/experiment/config';
import { expandTrials } from '../../src/experiment/trials';
import { ConfigError } from '../../src/engine/schema';
import { registerBackbone, createBackbone } from '../../src/models/index';

// A backbone whose default width is not 1 (every built-in one defaults to its published width 1).
registerBackbone('test-half-width', (o) => createBackbone('small-cnn', o), { description: 'small-cnn at width 0.5 by default (test)', defaultWidth: 0.5 });

const resolve = (model: Record<string, unknown>, sweep?: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) =>
  resolveConfig({ name: 'w', dataset: { format: 'folder', root: '/data' }, model, ...(sweep ? { sweep } : {}) }, { baseDir: '/tmp', env }).config;

test('an absent width becomes the backbone\'s default in the config, its params and its hash', () => {
  const plain = resolve({ backbone: 'resnet18' });
  assert.equal(plain.model.width, 1);
  assert.equal(flattenConfig({ model: plain.model })['model.width'], 1);
  const small = resolve({ backbone: 'resnet18', width: 0.25 });
  assert.notEqual(configHash(plain), configHash(small));
  assert.equal(configHash(plain), configHash(resolve({ backbone: 'resnet18', width: 1 })));
  assert.equal(resolve({ backbone: 'test-half-width' }).model.width, 0.5);
});

test('a swept backbone gets its own default width per trial; trials at other widths hash differently', () => {
  const c = resolve({ backbone: 'small-cnn' }, { 'model.backbone': ['resnet18', 'test-half-width'] });
  assert.equal(c.model.width, undefined);
  const trials = expandTrials(c);
  assert.deepEqual(trials.map((t) => [t.config.model.backbone, t.config.model.width]), [['resnet18', 1], ['test-half-width', 0.5]]);
  const t2 = expandTrials(resolve({ backbone: 'small-cnn', width: 0.25 }, { 'model.backbone': ['resnet18'] }));
  assert.equal(t2[0].config.model.width, 0.25);
  assert.notEqual(t2[0].configHash, trials[0].configHash);
});

test('an unknown backbone is a config error naming the key', () => {
  assert.throws(() => resolve({ backbone: 'resnet19' }), (e: unknown) => e instanceof ConfigError && /model\.backbone: backbone 'resnet19' is not registered\. Did you mean/.test(e.message));
});

test('torchvision:NAME=PATH resolves its PATH against the experiment folder (and must exist); the bare id stays as written', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-w-'));
  try {
    fs.mkdirSync(path.join(dir, 'w'));
    fs.writeFileSync(path.join(dir, 'w', 'r18.pth'), '');
    fs.writeFileSync(path.join(dir, 'resnet18-f37072fd.pth'), '');
    const cfg = resolveConfig({ name: 'w', dataset: { format: 'folder', root: '/data' }, model: { backbone: 'resnet18', pretrained: 'torchvision:resnet18=w/r18.pth' } }, { baseDir: dir, env: {} }).config;
    assert.equal(cfg.model.pretrained, `torchvision:resnet18=${path.join(dir, 'w', 'r18.pth')}`);
    assert.throws(() => resolve({ backbone: 'resnet18', pretrained: 'torchvision:resnet18=nope.pth' }), /model\.pretrained: \/tmp\/nope\.pth does not exist/);
    assert.equal(resolve({ backbone: 'resnet18', pretrained: 'torchvision:resnet18' }, undefined, { CELLAB_WEIGHTS_DIR: dir }).model.pretrained, 'torchvision:resnet18');
    assert.throws(() => resolve({ backbone: 'resnet18', pretrained: 'torchvision:resnet18' }, undefined, { CELLAB_WEIGHTS_DIR: path.join(dir, 'empty') }),
      /model\.pretrained: torchvision:resnet18 is not in the weights cache .* Fetch it with `cellab weights fetch torchvision:resnet18`/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
