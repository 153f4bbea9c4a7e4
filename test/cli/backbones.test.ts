// `cellab backbones`: what a user sees listed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { backboneRows } from '../../src/cli/backbones';

const ROOT = path.resolve(__dirname, '..', '..');

/** Runs the command in its own process, as `cellab backbones` will (the lead wires it into cellab.ts). */
function runCli(argv: string[]): string {
  const code = `require('yargs')(${JSON.stringify(argv)}).command(require('./src/cli/backbones').backbonesCommand).strict().parseAsync()`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test('--json lists at least 8 backbones with name, parameter count and description', async () => {
  const lines = runCli(['backbones', '--json']).trim().split('\n');
  assert.equal(lines.length, 1, 'stdout is one JSON line');
  const json = JSON.parse(lines[0]);
  assert.ok(json.backbones.length >= 8, `${json.backbones.length} backbones`);
  for (const b of json.backbones) {
    assert.equal(typeof b.name, 'string');
    assert.ok(Number.isInteger(b.params) && b.params > 1000, `${b.name}: ${b.params} params`);
    assert.ok(b.description.length > 10 && !b.description.includes('\n'));
  }
  // The published nets at their default width 1, counted as PyTorch counts them (224x224x3, 1000 classes).
  const byName = Object.fromEntries(json.backbones.map((b: { name: string }) => [b.name, b]));
  assert.deepEqual([byName.resnet18.params, byName.resnet18.width, byName.resnet18.weights], [11_689_512, 1, ['torchvision:resnet18']]);
  assert.equal(byName.resnet50.params, 25_557_032);
  assert.equal(byName['efficientnet-b0'].params, 5_288_548);
});

test('the table has one line per backbone; a larger width means more parameters', async () => {
  const text = runCli(['backbones']);
  assert.equal(text.trim().split('\n').length, backboneRows({ size: 64, channels: 1, classes: 6 }).length + 1);
  assert.match(text, /^resnet18 +11,689,512 +1 +ResNet-18 .*\[weights: torchvision:resnet18\]$/m);
  const small = backboneRows({ size: 64, channels: 1, classes: 6, width: 0.25 }).find((r) => r.name === 'resnet18')!;
  const big = backboneRows({ size: 64, channels: 1, classes: 6, width: 0.5 }).find((r) => r.name === 'resnet18')!;
  assert.ok(big.params > 3 * small.params);
});
