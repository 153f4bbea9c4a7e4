// The `train` and `model` sections: defaults, the shapes each key accepts, and the errors a typo gets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validate } from '../../src/engine/schema';
import { trainSchema, type TrainConfig } from '../../src/train/schema';
import { modelSchema, type ModelConfig } from '../../src/models/schema';

function check<T>(schema: Parameters<typeof validate>[0], value: unknown, key: string): { value: T; problems: string[] } {
  const problems: string[] = [];
  return { value: validate(schema, value, key, problems) as T, problems };
}

test('train defaults: adam, constant rate, cross-entropy, no early stopping, checkpoint on, no TTA, logistic linear head', () => {
  const { value, problems } = check<TrainConfig>(trainSchema, {}, 'train');
  assert.deepEqual(problems, []);
  assert.equal(value.optimizer, 'adam');
  assert.equal(value.schedule.kind, 'constant');
  assert.equal(value.loss, 'cross-entropy');
  assert.equal(value.earlyStopping, undefined);
  assert.equal(value.checkpoint, true);
  assert.equal(value.tta, 'none');
  assert.deepEqual(value.linear, { classifier: 'logistic', maxIter: 100, standardize: true, cache: true });
});

test('train keys take their documented shapes', () => {
  const ok = check<TrainConfig>(trainSchema, {
    optimizer: 'adamw', weightDecay: 0.05, schedule: { kind: 'cosine', warmupEpochs: 1 }, labelSmoothing: 0.1,
    loss: 'bce', posWeight: [1, 3], clipGradNorm: 1, earlyStopping: { patience: 3 }, tta: 'dihedral', linear: { classifier: 'svm', C: [0.1, 1] },
  }, 'train');
  assert.deepEqual(ok.problems, []);
  assert.deepEqual(ok.value.earlyStopping, { monitor: 'val/loss', mode: 'auto', patience: 3, minDelta: 0, restoreBest: true });
  assert.equal(check<TrainConfig>(trainSchema, { earlyStopping: false }, 'train').value.earlyStopping, false);
  assert.deepEqual(check(trainSchema, { posWeight: 2, linear: { C: 0.5 } }, 'train').problems, []);
});

test('typos and wrong values name the key', () => {
  assert.match(check(trainSchema, { labelSmothing: 0.1 }, 'train').problems.join('\n'), /unknown key `train\.labelSmothing`\. Did you mean `labelSmoothing`\?/);
  assert.match(check(trainSchema, { optimizer: 'adamm' }, 'train').problems.join('\n'), /`train\.optimizer` must be one of .*'adamw'.*Did you mean `adam`\?/);
  assert.match(check(trainSchema, { schedule: { kind: 'cosine', warmup: 2 } }, 'train').problems.join('\n'), /unknown key `train\.schedule\.warmup`\. Known keys of `train\.schedule`: kind, warmupEpochs,/);
  assert.match(check(trainSchema, { earlyStopping: { patience: -1 } }, 'train').problems.join('\n'), /`train\.earlyStopping\.patience` must be >= 0/);
});

test('model section: freeze as a preset, {layers} or {stages}; width absent means the backbone default', () => {
  const d = check<ModelConfig>(modelSchema, {}, 'model');
  assert.deepEqual(d.problems, []);
  assert.equal(d.value.width, undefined);
  assert.equal(d.value.freeze, 'none');
  assert.equal(d.value.head, 'dense');
  assert.equal(d.value.featureLayer, 'features');
  for (const freeze of ['medium', { layers: 10 }, { stages: ['stem', 'stage1'] }]) {
    const r = check<ModelConfig>(modelSchema, { freeze }, 'model');
    assert.deepEqual(r.problems, [], JSON.stringify(freeze));
    assert.deepEqual(r.value.freeze, freeze);
  }
  assert.ok(check(modelSchema, { freeze: 'deep' }, 'model').problems.length > 0);
  assert.match(check(modelSchema, { head: 'linar' }, 'model').problems.join('\n'), /Did you mean `linear`\?/);
});
