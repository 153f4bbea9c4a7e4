import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { checkKey, checkMetricValue, flattenParams, metricFromJson, metricToJson, parsePyFloat, pyFloat, shorten } from '../../src/tracking/values';

test('metric values are written as Python writes floats in the file store', () => {
  const values = [0, 1, -1, 0.1, 1.2, 0.8, 1 / 3, 1e-5, 1.5e-7, 123456789.125, 1e15, 1e16, 2 ** 60, 1.7976931348623157e308, 5e-324, -0.0001, 0.0001, NaN, Infinity, -Infinity];
  for (let i = 0; i < 40; i++) values.push((Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 40 - 20));
  const script = 'import sys, json\nfor v in json.loads(sys.stdin.read()): print(repr(float(v)))';
  const py = execFileSync('/usr/bin/python3', ['-c', script], { input: JSON.stringify(values.map((v) => (Number.isFinite(v) ? v : String(v)))) })
    .toString().trim().split('\n');
  assert.deepEqual(values.map(pyFloat), py);
  for (const v of values) assert.ok(Object.is(parsePyFloat(pyFloat(v)), v) || (v === 0 && parsePyFloat(pyFloat(v)) === 0), String(v));
});

test('NaN and infinities travel as MLflow\'s strings; anything not a number is refused', () => {
  assert.equal(metricToJson(NaN), 'NaN');
  assert.equal(metricToJson(-Infinity), '-Infinity');
  assert.equal(metricToJson(0.5), 0.5);
  assert.ok(Number.isNaN(metricFromJson('NaN')));
  assert.equal(metricFromJson('Infinity'), Infinity);
  assert.throws(() => checkMetricValue('train/loss', '0.5' as unknown), /metric `train\/loss` must be a number, got string '0.5'/);
  assert.throws(() => checkMetricValue('val/acc', undefined), /must be a number, got undefined/);
  assert.equal(checkMetricValue('x', NaN), NaN);
});

test('keys follow MLflow\'s naming rule, with a message that says what is allowed', () => {
  for (const ok of ['train/loss', 'val/accuracy', 'model.backbone', 'a b', 'x:y', 'lr_1-2']) checkKey('metric', ok);
  assert.throws(() => checkKey('metric', 'val/f1 (macro)'), /metric key `val\/f1 \(macro\)` is not a valid MLflow name: use letters/);
  assert.throws(() => checkKey('param', '../etc/passwd'), /not a valid MLflow name/);
  assert.throws(() => checkKey('tag', '/abs'), /not a valid MLflow name/);
  assert.throws(() => checkKey('tag', 'x'.repeat(251)), /MLflow allows 250/);
});

test('nested params flatten to dotted keys; long values are shortened with a marker', () => {
  assert.deepEqual(flattenParams({ train: { lr: 0.1, opt: { name: 'adam' } }, sweep: { 'model.backbone': ['a', 'b'] }, n: null }),
    { 'train.lr': 0.1, 'train.opt.name': 'adam', 'sweep.model.backbone': ['a', 'b'], n: null });
  const long = 'x'.repeat(1234);
  const s = shorten(long, 500);
  assert.equal(s.length, 500);
  assert.match(s, /^x+\.\.\.\[\+\d+ chars, full value in config\.yaml\]$/);
  assert.equal(Number(/\+(\d+) chars/.exec(s)![1]) + s.indexOf('...'), 1234);
  assert.equal(shorten('short', 500), 'short');
});
