// `cellab lr-find FILE --json --out plot.png` as a user types it (bin/cellab.js, compiled).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { lrFindExperiment } from '../experiment/intensity-experiment';

const root = path.resolve(__dirname, '..', '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-lrfind-cli-'));
const cellab = (args: string[]) => spawnSync(process.execPath, [path.join(root, 'bin', 'cellab.js'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, CELLAB_PROGRESS: '0' } });

test('cellab lr-find prints the suggestion, writes the plot, exits 0', () => {
  const out = path.join(work, 'lr.png');
  const r = cellab(['lr-find', lrFindExperiment(work), '--steps', '25', '--start-lr', '1e-4', '--end-lr', '1000', '--out', out, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(j.status, 'FINISHED');
  assert.match(j.run_id, /^[0-9a-f]{32}$/);
  assert.ok(j.steps > 0 && j.steps <= 25);
  assert.equal(j.suggested_lr, j.suggestions.steepest ?? j.suggestions.minimum_div10);
  assert.equal(fs.readFileSync(out).subarray(1, 4).toString(), 'PNG');
  assert.match(r.stderr, /cellab: lr-find: suggested /);
});

test('a range that does not grow is bad input: exit 1, nothing runs', () => {
  const r = cellab(['lr-find', lrFindExperiment(work), '--start-lr', '1', '--end-lr', '0.1', '--json']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /the range must grow \(0 < startLr < endLr\), got 1 \.\. 0\.1/);
});
