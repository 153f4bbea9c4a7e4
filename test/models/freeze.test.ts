// Freezing by preset, layer count and stage; frozen batch norm keeps its statistics.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { createBackbone } from '../../src/models/index';
import { backboneStages, freezeLayers, layerStage, presetStages, unfreezeAll } from '../../src/models/freeze';

before(async () => { await initEngine({ backend: 'wasm', log: null }); });

const build = () => createBackbone('resnet18', { inputShape: [32, 32, 1], classes: 3, width: 0.125 });

test('presets freeze the stem and 1 / 2 / 3 of four stages; fewer weights train at each depth', () => {
  const m = build();
  assert.deepEqual(backboneStages(m), ['stem', 'stage1', 'stage2', 'stage3', 'stage4']);
  const trainable: number[] = [];
  for (const [preset, stages] of [['none', []], ['soft', ['stem', 'stage1']], ['medium', ['stem', 'stage1', 'stage2']], ['hard', ['stem', 'stage1', 'stage2', 'stage3']]] as const) {
    const r = freezeLayers(m, preset);
    assert.deepEqual(r.stages, stages, preset);
    for (const l of m.layers) {
      const s = layerStage(l.name);
      if (l.name === 'input') continue;
      assert.equal(l.trainable, !(s && (stages as readonly string[]).includes(s)), `${preset}: ${l.name}`);
    }
    assert.equal(m.getLayer('logits').trainable, true);
    trainable.push(r.trainableParams);
  }
  assert.ok(trainable[0] > trainable[1] && trainable[1] > trainable[2] && trainable[2] > trainable[3], `trainable weights per depth: ${trainable}`);
  assert.equal(unfreezeAll(m).trainableParams, trainable[0]);
  m.dispose();
});

test('presets on 12 transformer blocks and on 7 MBConv stages', () => {
  const blocks = Array.from({ length: 12 }, (_, i) => `stage${i + 1}`);
  assert.equal(presetStages(['stem', ...blocks], 'soft').length, 1 + 3);
  assert.equal(presetStages(['stem', ...blocks], 'medium').length, 1 + 6);
  assert.equal(presetStages(['stem', ...blocks], 'hard').length, 1 + 11);
  const seven = Array.from({ length: 7 }, (_, i) => `stage${i + 1}`);
  assert.deepEqual([presetStages(seven, 'soft').length, presetStages(seven, 'medium').length, presetStages(seven, 'hard').length], [2, 4, 6]);
});

test('{layers: N} freezes the first N layers after the input; {stages} names stages', () => {
  const m = build();
  const r = freezeLayers(m, { layers: 5 });
  const names = m.layers.filter((l) => l.name !== 'input').map((l) => l.name);
  assert.deepEqual(r.frozen, names.slice(0, 5));
  assert.ok(names.slice(5).every((n) => m.getLayer(n).trainable));
  const s = freezeLayers(m, { stages: ['stage2'] });
  assert.ok(s.frozen.length > 0 && s.frozen.every((n) => n.startsWith('stage2_')));
  assert.ok(m.getLayer('stem_conv').trainable, 'stem unfrozen again by the new spec');
  assert.throws(() => freezeLayers(m, { stages: ['stage9'] }), /'stage9' not in resnet18\. Available: stem, stage1, stage2, stage3, stage4/);
  assert.throws(() => freezeLayers(m, { layers: 10_000 }), /has \d+ layers/);
  m.dispose();
});

test('a frozen batch norm runs in inference mode: a training-mode forward leaves its statistics alone', () => {
  const m = build();
  freezeLayers(m, 'soft');
  const stat = (layer: string) => m.getLayer(layer).weights.find((w) => w.originalName.endsWith('moving_mean'))!.read().dataSync().slice();
  const frozenBefore = stat('stem_bn'), liveBefore = stat('stage3_block1_1_bn');
  const x = tf.randomNormal([4, 32, 32, 1], 2, 1, 'float32', 1);
  tf.tidy(() => { m.apply(x, { training: true }); });
  assert.deepEqual(stat('stem_bn'), frozenBefore);
  assert.notDeepEqual(stat('stage3_block1_1_bn'), liveBefore);
  unfreezeAll(m);
  tf.tidy(() => { m.apply(x, { training: true }); });
  assert.notDeepEqual(stat('stem_bn'), frozenBefore, 'unfrozen batch norm updates again');
  x.dispose();
  m.dispose();
});

test('GoogLeNet\'s presets are the intensity study\'s three depths: stem / through inception 4e / all but the classifier', () => {
  const m = createBackbone('googlenet', { inputShape: [32, 32, 3], classes: 2, width: 0.125, zeroInit: true });
  try {
    const depth = (p: 'soft' | 'medium' | 'hard') => freezeLayers(m, p);
    assert.deepEqual(depth('soft').stages, ['stem']);
    assert.deepEqual(depth('medium').stages, ['stem', 'stage1', 'stage2']);
    assert.ok(depth('medium').frozen.includes('stage2_4e_b4_conv') && !depth('medium').frozen.includes('stage3_5a_b1_conv'));
    const hard = depth('hard');
    assert.deepEqual(hard.stages, ['stem', 'stage1', 'stage2', 'stage3']);
    assert.deepEqual(m.trainableWeights.map((w) => w.originalName), ['logits/kernel', 'logits/bias']);
  } finally {
    m.dispose();
  }
});
