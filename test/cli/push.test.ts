// `cellab push` through its yargs command handler.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { openTracking } from '../../src/tracking/tracking';
import { MlflowTestServer } from '../tracking/mlflow-server';

const server = new MlflowTestServer();
before(() => server.start());
after(() => server.stop());

const CLI = path.join(__dirname, 'fixtures', 'push-cli.ts');
function run(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', CLI, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('cellab push --json: one JSON object on the last line; a second push creates nothing', async () => {
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-cli-push-'));
  const t = await openTracking({ uri: store, log: () => undefined });
  const r = await t.startRun({ experimentId: await t.getOrCreateExperiment('cli'), runName: 'one' });
  r.logMetric('val/accuracy', 0.5, 0);
  await r.end();

  const first = await run(['push', '--from', store, '--to', server.url, '--json']);
  assert.equal(first.code, 0, first.stderr);
  const out = JSON.parse(first.stdout.trim().split('\n').at(-1)!);
  assert.equal(out.status, 'FINISHED');
  assert.deepEqual(out.totals, { created: 1, updated: 0, unchanged: 0, metrics: 1, artifacts: 0 });
  assert.equal(out.runs[0].localRunId, r.runId);
  assert.match(first.stderr, /pushed 1 run\(s\) from .* 1 created/);

  const second = await run(['push', '--from', store, '--to', server.url]);
  assert.equal(second.code, 0);
  assert.match(second.stdout, /0 created, 0 updated, 1 unchanged/);
  assert.equal(server.allRuns().filter((x) => x.tags.get('cellab.pushed_from') === r.runId).length, 1);
});

test('cellab push with a missing folder exits 1 and says what is wrong', async () => {
  const res = await run(['push', '--from', '/no/such/store', '--to', server.url, '--json']);
  assert.equal(res.code, 1);
  assert.match(res.stderr, /error: push --from \/no\/such\/store: no such folder/);
  assert.equal(JSON.parse(res.stdout.trim().split('\n').at(-1)!).status, 'FAILED');
});
