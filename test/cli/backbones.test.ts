// `cellab backbones`: what a user sees listed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import yargs from 'yargs';
import { backbonesCommand, backboneRows } from '../../src/cli/backbones';

async function runCli(argv: string[]): Promise<string> {
  const out: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  (process.stdout as unknown as { write: (s: string) => boolean }).write = (s: string) => { out.push(s); return true; };
  try {
    await yargs(argv).command(backbonesCommand).strict().parseAsync();
  } finally {
    (process.stdout as unknown as { write: typeof write }).write = write;
  }
  return out.join('');
}

test('--json lists at least 8 backbones with name, parameter count and description', async () => {
  const json = JSON.parse((await runCli(['backbones', '--json'])).trim().split('\n').pop()!);
  assert.ok(json.backbones.length >= 8, `${json.backbones.length} backbones`);
  for (const b of json.backbones) {
    assert.equal(typeof b.name, 'string');
    assert.ok(Number.isInteger(b.params) && b.params > 1000, `${b.name}: ${b.params} params`);
    assert.ok(b.description.length > 10 && !b.description.includes('\n'));
  }
  assert.ok(json.backbones.some((b: { name: string }) => b.name === 'resnet18'));
});

test('the table has one line per backbone; a larger width means more parameters', async () => {
  const text = await runCli(['backbones']);
  assert.equal(text.trim().split('\n').length, backboneRows({ size: 64, channels: 1, classes: 6 }).length + 1);
  assert.match(text, /^resnet18 +[\d,]+ +0\.25 +ResNet-18/m);
  const small = backboneRows({ size: 64, channels: 1, classes: 6, width: 0.25 }).find((r) => r.name === 'resnet18')!;
  const big = backboneRows({ size: 64, channels: 1, classes: 6, width: 0.5 }).find((r) => r.name === 'resnet18')!;
  assert.ok(big.params > 3 * small.params);
});
