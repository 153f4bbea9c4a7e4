// train.backboneLrScale: the backbone (stem + stages) steps at lr x scale, the
// head at lr — with plain SGD the backbone's update is exactly `scale` times
// the one it gets at scale 1, and 0 leaves it alone while the head learns.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { createBackbone } from '../../src/models/index';
import { fit, backboneAndHead } from '../../src/train/loop';
import { validate } from '../../src/engine/schema';
import { trainSchema, type TrainConfig } from '../../src/train/schema';
import { toySource } from './toy-data';

before(async () => { await initEngine({ backend: 'wasm', log: null }); });

const train = toySource(8, 1);

function config(over: Record<string, unknown>): TrainConfig {
  const problems: string[] = [];
  const cfg = validate(trainSchema, { epochs: 1, lr: 0.05, batchSize: 8, optimizer: 'sgd', momentum: 0, restoreBest: false, ...over }, 'train', problems) as TrainConfig;
  assert.deepEqual(problems, []);
  return cfg;
}

/** Weight changes after one SGD step of the whole batch, backbone and head apart. */
async function step(scale: number): Promise<{ backbone: Float32Array; head: Float32Array }> {
  const m = createBackbone('small-cnn', { inputShape: [16, 16, 1], classes: 3, width: 0.5, seed: 1 });
  const flat = (vs: tf.Variable[]) => Float32Array.from(vs.flatMap((v) => Array.from(v.dataSync())));
  const g = backboneAndHead(m);
  const before = { backbone: flat(g.backbone), head: flat(g.head) };
  await fit(m, train, undefined, config({ backboneLrScale: scale }));
  const after = backboneAndHead(m);
  const d = (a: Float32Array, b: Float32Array) => a.map((v, i) => v - b[i]);
  const out = { backbone: d(flat(after.backbone), before.backbone), head: d(flat(after.head), before.head) };
  m.dispose();
  return out;
}

test('the backbone is the stem and stages, the head the classifier', () => {
  const m = createBackbone('small-cnn', { inputShape: [16, 16, 1], classes: 3, width: 0.5 });
  const g = backboneAndHead(m);
  assert.equal(g.backbone.length, 6);
  assert.equal(g.head.length, 2);
  m.dispose();
});

test('backboneLrScale 0.1 scales the backbone update by 0.1 and leaves the head\'s; 0 freezes the backbone only', async () => {
  const full = await step(1), tenth = await step(0.1), none = await step(0);
  const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assert.ok(maxAbs(full.backbone) > 1e-5);
  const err = maxAbs(tenth.backbone.map((v, i) => v - 0.1 * full.backbone[i]));
  assert.ok(err < 1e-6 + 1e-3 * maxAbs(full.backbone), `backbone update is not 0.1x: error ${err}`);
  assert.ok(maxAbs(tenth.head.map((v, i) => v - full.head[i])) < 1e-6, 'the head update changed');
  assert.equal(maxAbs(none.backbone), 0);
  assert.ok(maxAbs(none.head) > 1e-5);
});

test('restoring the best epoch works across unfreezing (weights saved while frozen, restored after)', async () => {
  const { freezeLayers } = await import('../../src/models/freeze');
  const m = createBackbone('small-cnn', { inputShape: [16, 16, 1], classes: 3, width: 0.5, seed: 2 });
  freezeLayers(m, { stages: ['stage1'] });
  // lr 0 in epoch 2 (step schedule, gamma 0): epoch 2 ties epoch 1, so epoch 1's weights, saved while frozen, come back.
  const r = await fit(m, toySource(48, 1), toySource(24, 2), config({ epochs: 2, lr: 0.05, restoreBest: true, schedule: { kind: 'step', stepEpochs: 1, gamma: 0 } }), {}, { unfreezeAfter: 1 });
  assert.equal(r.outcome, 'completed', r.reason);
  assert.equal(r.bestEpoch, 1);
  m.dispose();
});
