// Losses against PyTorch (cross-entropy with weights / label smoothing / soft
// targets, BCE with weight and pos_weight) and the focal loss' defining cases.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initEngine } from '../../src/engine/backend';
import { binaryCrossEntropy, crossEntropy, focalLoss, makeLoss, priorLabelOutputs, priorLogits, probabilityBce, sigmoidFocalLoss } from '../../src/train/losses';
import { askTorch } from './torch';

before(async () => { await initEngine({ backend: 'wasm', log: null }); });

const LOGITS = [[2.0, -1.0, 0.5], [0.1, 0.2, 0.3], [-3.0, 4.0, 1.0], [1.5, 1.5, -2.0], [0.0, -0.5, 2.5]];
const LABELS = [0, 2, 1, 1, 2];
const ONE_HOT = LABELS.map((l) => [0, 1, 2].map((c) => (c === l ? 1 : 0)));
const SOFT = [[0.7, 0.3, 0], [0, 0.4, 0.6], [0.2, 0.8, 0], [0.5, 0.5, 0], [0, 0, 1]];
const W = [0.5, 2.0, 1.25];

const val = (f: () => tf.Scalar) => tf.tidy(() => f().dataSync()[0]);
const t2 = (a: number[][]) => tf.tensor2d(a);
const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-5 * Math.max(1, Math.abs(b)), `${what}: ${a}, torch ${b}`);

test('cross-entropy matches F.cross_entropy: plain, weighted, label smoothing, both, soft targets', () => {
  const cases = [
    { label: 'plain', o: {}, torch: { labels: LABELS } },
    { label: 'class weights', o: { w: W }, torch: { labels: LABELS, weight: W } },
    { label: 'label smoothing 0.1', o: { ls: 0.1 }, torch: { labels: LABELS, smoothing: 0.1 } },
    { label: 'weights + smoothing 0.2', o: { w: W, ls: 0.2 }, torch: { labels: LABELS, weight: W, smoothing: 0.2 } },
    { label: 'soft targets (mixup)', o: { soft: true }, torch: { targets: SOFT } },
    { label: 'soft targets + smoothing', o: { soft: true, ls: 0.1 }, torch: { targets: SOFT, smoothing: 0.1 } },
  ];
  const expected = askTorch<number>(cases.map((c) => ({ kind: 'loss', loss: 'ce', logits: LOGITS, ...c.torch })));
  cases.forEach((c, i) => {
    const o = c.o as { w?: number[]; ls?: number; soft?: boolean };
    const got = val(() => crossEntropy(t2(o.soft ? SOFT : ONE_HOT), t2(LOGITS), { labelSmoothing: o.ls, classWeights: o.w ? tf.tensor1d(o.w) : undefined }));
    near(got, expected[i], c.label);
  });
});

test('BCE matches F.binary_cross_entropy_with_logits with weight and pos_weight', () => {
  const cases = [{}, { weight: W }, { pos_weight: [3, 1, 0.5] }, { weight: W, pos_weight: [2, 2, 2] }];
  const expected = askTorch<number>(cases.map((c) => ({ kind: 'loss', loss: 'bce', logits: LOGITS, targets: ONE_HOT, ...c })));
  cases.forEach((c, i) => {
    const got = val(() => binaryCrossEntropy(t2(ONE_HOT), t2(LOGITS), {
      classWeights: c.weight ? tf.tensor1d(c.weight) : undefined, posWeight: c.pos_weight ? tf.tensor1d(c.pos_weight) : undefined,
    }));
    near(got, expected[i], JSON.stringify(c));
  });
  // Stable for large logits: log(sigmoid(-80)) would underflow naively.
  const big = val(() => binaryCrossEntropy(t2([[1, 0]]), t2([[-80, 80]])));
  near(big, 80, 'BCE at |z| = 80');
});

test('focal loss: gamma 0 is cross-entropy; gamma > 0 down-weights easy samples', () => {
  near(val(() => focalLoss(t2(ONE_HOT), t2(LOGITS), { gamma: 0 })), val(() => crossEntropy(t2(ONE_HOT), t2(LOGITS))), 'gamma 0');
  // One sample, p_true = softmax(z)[y]: loss = -(1 - p)^2 log p.
  const z = [[2, 0, -1]];
  const p = Math.exp(2) / (Math.exp(2) + 1 + Math.exp(-1));
  near(val(() => focalLoss(t2([[1, 0, 0]]), t2(z), { gamma: 2 })), -((1 - p) ** 2) * Math.log(p), 'gamma 2, one sample');
  const easy = val(() => focalLoss(t2([[1, 0, 0]]), t2([[5, 0, 0]]), { gamma: 2 })) / val(() => crossEntropy(t2([[1, 0, 0]]), t2([[5, 0, 0]])));
  const hard = val(() => focalLoss(t2([[1, 0, 0]]), t2([[0, 2, 0]]), { gamma: 2 })) / val(() => crossEntropy(t2([[1, 0, 0]]), t2([[0, 2, 0]])));
  assert.ok(easy < 0.001 && hard > 0.5, `focal/CE ratio: easy ${easy}, hard ${hard}`);
});

test('makeLoss checks weight lengths and where pos_weight applies', () => {
  assert.throws(() => makeLoss({ kind: 'cross-entropy', classWeights: [1, 2] }, 3), /class weights has 2 value\(s\) but the task has 3 classes/);
  assert.throws(() => makeLoss({ kind: 'cross-entropy', posWeight: [2] }, 3), /posWeight applies to train.loss 'bce' only/);
  const l = makeLoss({ kind: 'bce', posWeight: [2] }, 3);   // one value broadcasts to every class
  near(val(() => l(t2(ONE_HOT), t2(LOGITS))), val(() => binaryCrossEntropy(t2(ONE_HOT), t2(LOGITS), { posWeight: tf.tensor1d([2, 2, 2]) })), 'broadcast pos_weight');
  l.dispose();
});

test('the prior predictor: CE of log-prior logits is the prior entropy', () => {
  const labels = Int32Array.from([0, 0, 0, 1, 2, 2]);
  const z = priorLogits(labels, 3, 'cross-entropy');
  const targets = Array.from(labels, (l) => [0, 1, 2].map((c) => (c === l ? 1 : 0)));
  const logits = targets.map(() => Array.from(z));
  const entropy = -[3 / 6, 1 / 6, 2 / 6].reduce((s, p) => s + p * Math.log(p), 0);
  near(val(() => crossEntropy(t2(targets), t2(logits))), entropy, 'prior CE');
});

const ML_TARGETS = [[1, 0, 1], [0, 0, 1], [1, 1, 0], [0, 1, 0], [1, 0, 0]];
const ML_LOGITS = [[2.0, -1.0, 0.5], [0.1, 0.2, 0.3], [-3.0, 4.0, 1.0], [1.5, 0.4, -2.0], [0.0, -0.5, 2.5]];

test('multi-label losses match PyTorch, gradients included: sigmoid focal (torchvision), relu/tanh heads as Keras binary_crossentropy', () => {
  const PW = [3, 1, 0.5];
  const cases = [
    { what: 'focal gamma 2', torch: { loss: 'focal', gamma: 2 }, ours: (z: tf.Tensor2D) => sigmoidFocalLoss(t2(ML_TARGETS), z, { gamma: 2 }) },
    { what: 'focal gamma 1.5, positive weights', torch: { loss: 'focal', gamma: 1.5, pos_weight: PW }, ours: (z: tf.Tensor2D) => sigmoidFocalLoss(t2(ML_TARGETS), z, { gamma: 1.5, posWeight: tf.tensor1d(PW) }) },
    { what: 'relu head', torch: { loss: 'clipped', activation: 'relu' }, ours: (z: tf.Tensor2D) => probabilityBce(t2(ML_TARGETS), z, 'relu') },
    { what: 'tanh head, positive weights', torch: { loss: 'clipped', activation: 'tanh', pos_weight: PW }, ours: (z: tf.Tensor2D) => probabilityBce(t2(ML_TARGETS), z, 'tanh', { posWeight: tf.tensor1d(PW) }) },
  ];
  const expected = askTorch<{ loss: number; grad: number[][] }>(cases.map((c) => ({ kind: 'multilabel_loss', logits: ML_LOGITS, targets: ML_TARGETS, ...c.torch })));
  cases.forEach((c, i) => {
    const got = { loss: tf.tidy(() => c.ours(t2(ML_LOGITS)).dataSync()[0]), grad: tf.tidy(() => tf.grad((x: tf.Tensor) => c.ours(x as tf.Tensor2D))(t2(ML_LOGITS)).arraySync() as number[][]) };
    near(got.loss, expected[i].loss, `${c.what}: loss`);
    got.grad.flat().forEach((g, j) => near(g, expected[i].grad.flat()[j], `${c.what}: gradient [${j}]`));
  });
  // A relu head pushed below 0 has no gradient left: why the study's relu/tanh heads degenerate.
  const dead = tf.tidy(() => tf.grad((x: tf.Tensor) => probabilityBce(t2([[1, 0]]), x as tf.Tensor2D, 'relu'))(t2([[-0.5, -2]])).dataSync());
  assert.deepEqual(Array.from(dead), [0, 0]);
});

test('makeLoss for multi-label targets: bce / focal only, label weights weight the positives, the prior matches label frequencies', () => {
  assert.throws(() => makeLoss({ kind: 'cross-entropy', multiLabel: true }, 3), /train.loss cross-entropy is for single-label data; multi-label targets .* train with 'bce' or 'focal'/);
  assert.throws(() => makeLoss({ kind: 'focal', multiLabel: true, headActivation: 'relu' }, 3), /train.headActivation relu trains with 'bce'/);
  assert.throws(() => makeLoss({ kind: 'bce', headActivation: 'tanh' }, 3), /train.headActivation tanh applies to multi-label heads/);
  assert.throws(() => makeLoss({ kind: 'bce', multiLabel: true, classWeights: [1, 1, 1], posWeight: [2] }, 3), /use one of them/);
  const l = makeLoss({ kind: 'bce', multiLabel: true, classWeights: [3, 1, 0.5] }, 3);
  near(val(() => l(t2(ML_TARGETS), t2(ML_LOGITS))), val(() => binaryCrossEntropy(t2(ML_TARGETS), t2(ML_LOGITS), { posWeight: tf.tensor1d([3, 1, 0.5]) })), 'label weights = pos_weight');
  l.dispose();
  // Label smoothing per label: targets 0/1 become eps/2 and 1 - eps/2.
  const sm = makeLoss({ kind: 'bce', multiLabel: true, labelSmoothing: 0.2 }, 3);
  const smoothed = ML_TARGETS.map((r) => r.map((v) => v * 0.8 + 0.1));
  near(val(() => sm(t2(ML_TARGETS), t2(ML_LOGITS))), val(() => binaryCrossEntropy(t2(smoothed), t2(ML_LOGITS))), 'smoothed targets');
  sm.dispose();
  // The prior: BCE of logit(p_c) equals the mean binary entropy of the label frequencies, whatever the activation.
  const flat = Uint8Array.from(ML_TARGETS.flat());
  const p = [3 / 5, 2 / 5, 2 / 5];
  const h = -p.reduce((s, q) => s + q * Math.log(q) + (1 - q) * Math.log(1 - q), 0) / 3;
  for (const act of ['sigmoid', 'relu', 'tanh'] as const) {
    const z = Array.from(priorLabelOutputs(flat, 3, act));
    const rows = ML_TARGETS.map(() => z);
    const loss = act === 'sigmoid' ? val(() => binaryCrossEntropy(t2(ML_TARGETS), t2(rows))) : val(() => probabilityBce(t2(ML_TARGETS), t2(rows), act));
    near(loss, h, `prior under ${act}`);
  }
});
