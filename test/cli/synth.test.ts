// `cellab synth`: what a user sees and gets.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-synth-cli-'));
after(() => fs.rmSync(TMP, { recursive: true, force: true }));

/** Runs the command in its own process, as `cellab synth` will (the lead wires it into cellab.ts). */
function runCli(argv: string[]) {
  const code = `require('yargs')(${JSON.stringify(argv)}).command(require('./src/cli/synth').synthCommand).strict().parseAsync()`;
  return spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: ROOT, encoding: 'utf8' });
}

test('synth writes the set, prints progress on stderr and a summary on stdout', () => {
  const out = path.join(TMP, 'p');
  const r = runCli(['synth', '--out', out, '--kind', 'patterns', '--n', '40', '--seed', '3', '--anomalies', '0.05']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /synth: 40\/40 \(100%\)/);
  assert.match(r.stdout, /^wrote 40 cells \(87 files, 28 specimens\) to .+ in [\d.]+ s$/m);
  assert.match(r.stdout, /anomalies: .*\(fraction 0\.05;/);
  assert.ok(fs.existsSync(path.join(out, 'training', 'training.csv')));
  assert.equal(fs.readFileSync(path.join(out, 'synth.csv'), 'utf8').trim().split('\n').filter((l) => /,(saturated|near_black|defocused)$/.test(l)).length, 2);
});

test('synth --kind lymphocytosis writes patients in the DLMI layout and says how many of each', () => {
  const out = path.join(TMP, 'l');
  const r = runCli(['synth', '--out', out, '--kind', 'lymphocytosis', '--n', '12', '--seed', '2']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^wrote 12 labelled \+ 2 unlabelled patients \(\d+ cell images\) to .+ in [\d.]+ s$/m);
  assert.match(r.stdout, /labels: {3}malignant 8, reactive 4/);
  assert.match(r.stderr, /synth: \d+\/\d+ \(100%\)/);
  assert.ok(fs.existsSync(path.join(out, 'clinical_annotation.csv')));
  assert.equal(fs.readdirSync(path.join(out, 'trainset')).length, 12);
});

test('--json prints the summary as the last line; bad input exits 1 with a message naming the problem', () => {
  const r = runCli(['synth', '--out', path.join(TMP, 'i'), '--kind', 'intensity', '--n', '20', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(summary.kind, 'intensity');
  assert.equal(summary.n, 20);
  assert.equal(summary.byIntensity.negative + summary.byIntensity.positive, 20);
  const bad = runCli(['synth', '--out', path.join(TMP, 'bad'), '--n', '5']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /error: n = 5: kind 'patterns' needs an integer n >= 28/);
  const kind = runCli(['synth', '--out', path.join(TMP, 'bad'), '--kind', 'colour']);
  assert.notEqual(kind.status, 0);
  assert.match(kind.stderr, /Invalid values:[\s\S]*kind/);
});

test('--help names every option', () => {
  const r = runCli(['synth', '--help']);
  assert.equal(r.status, 0);
  for (const opt of ['--out', '--kind', '--n', '--seed', '--anomalies', '--json']) assert.ok(r.stdout.includes(opt), opt);
});

test('--kind protein writes the HPA 2021 layout and says what it drew', () => {
  const out = path.join(TMP, 'prot');
  const r = runCli(['synth', '--out', out, '--kind', 'protein', '--n', '14', '--size', '64', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(summary.kind, 'protein');
  assert.equal(summary.files, 14 * 5 + 4);
  assert.equal(fs.readFileSync(path.join(out, 'train.csv'), 'utf8').split('\n').length - 2, 14);
  const text = runCli(['synth', '--out', out, '--kind', 'protein', '--n', '14', '--size', '64']);
  assert.match(text.stdout, /^wrote 14 field images of 64x64 px \(\d+ cells, 4 stains each; 74 files, \d+ plates\)/m);
  assert.match(text.stdout, /labels: .*Nucleoplasm \d+/);
  const bad = runCli(['synth', '--out', path.join(TMP, 'bad2'), '--kind', 'patterns', '--size', '64']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--size applies to --kind protein/);
});
