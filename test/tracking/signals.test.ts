// SIGINT / SIGTERM while a run is active: hooks run, the run is flushed and
// ended as KILLED, the process exits 130 / 143. A process that just ends
// closes its forgotten runs as KILLED, with the reason in a tag and on stderr.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileStore } from '../../src/tracking/file-store';

const CHILD = path.join(__dirname, 'fixtures', 'signal-child.ts');

function start(store: string, mode: 'wait' | 'exit' | 'kernel') {
  const p = spawn(process.execPath, ['--import', 'tsx', CHILD, store, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (err += d));
  let done = false;
  const exited = new Promise<number | null>((r) => p.on('exit', (code) => { done = true; r(code); }));
  const deadline = Date.now() + 30_000;
  const ready = () => new Promise<void>((resolve, reject) => {
    const check = () => {
      if (out.includes('ready')) return resolve();
      if (done || Date.now() > deadline) { p.kill('SIGKILL'); return reject(new Error(`child never got ready: ${err}`)); }
      setTimeout(check, 20);
    };
    check();
  });
  return { p, exited, ready, out: () => out, err: () => err };
}

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  test(`${signal}: kill hooks run, the run ends KILLED with its metrics flushed, exit ${code}`, async () => {
    const store = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-sig-'));
    const child = start(store, 'wait');
    await child.ready();
    await new Promise((r) => setTimeout(r, 150)); // a few more epochs, still buffered
    child.p.kill(signal);
    assert.equal(await child.exited, code, child.err());
    const runId = child.out().split('\n')[0];
    const run = await new FileStore(store).getRun(runId);
    assert.equal(run.info.status, 'KILLED');
    assert.ok(run.info.endTime);
    assert.equal(run.tags['cellab.outcome'], 'interrupted');
    const points = await new FileStore(store).getMetricHistory(runId, 'train/loss');
    assert.ok(points.length > 3, `metrics logged after "ready" were flushed (${points.length})`);
    assert.match(child.err(), new RegExp(`${signal}: ending 1 active run\\(s\\) as KILLED`));
  });
}

test('a process that runs out of work ends its forgotten run as KILLED, saying why in a tag and on stderr', async () => {
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-sig-'));
  const child = start(store, 'exit');
  assert.equal(await child.exited, 0, child.err());
  const run = await new FileStore(store).getRun(child.out().split('\n')[0]);
  assert.equal(run.info.status, 'KILLED', 'never FINISHED: nobody said the run was done');
  assert.ok(run.info.endTime);
  assert.equal(run.tags['cellab.end_reason'], 'the process exited without ending the run');
  assert.equal((await new FileStore(store).getMetricHistory(run.info.runId, 'train/loss')).length, 3, 'its metrics are kept');
  assert.equal(run.tags['cellab.outcome'], undefined);
  assert.match(child.err(), new RegExp(`exiting with 1 run\\(s\\) never ended \\(${run.info.runId}\\): ending them as KILLED, tagged cellab\\.end_reason`));
});

test('in a notebook kernel (which handles SIGINT itself) the run ends KILLED and the kernel lives on', async () => {
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-sig-'));
  const child = start(store, 'kernel');
  await child.ready();
  child.p.kill('SIGINT');
  assert.equal(await child.exited, 0, child.err());
  assert.match(child.out(), /interrupted the cell\n.*kernel alive/s);
  const run = await new FileStore(store).getRun(child.out().split('\n')[0]);
  assert.equal(run.info.status, 'KILLED');
  assert.equal(run.tags['cellab.outcome'], 'interrupted');
  assert.match(child.err(), /ending 1 active run\(s\) as KILLED \(the process goes on\)/);
});
