// `cellab weights list|fetch|verify`, as a user runs them. Downloads go to a
// loopback HTTP server started here (no test reaches the internet): a full
// download, a resumed one (HTTP Range), a corrupt one (refused by hash), the
// offline case (one line saying what to download and where to put it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { downloadWeights } from '../../src/cli/weights-download';
import type { PublishedWeights } from '../../src/models/import/published';
import { IMAGENET } from '../../src/models/import/published';
import { torchPython, NO_TORCH } from '../models/torch-python';
import { makeReference, maxAbsDiff } from '../models/parity/reference';

const ROOT = path.resolve(__dirname, '..', '..');
let tmp: string;
let server: http.Server;
let base: string;
const CONTENT = randomBytes(300_000);
const requests: { url: string; range?: string }[] = [];

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cellab-weights-'));
  server = http.createServer((req, res) => {
    requests.push({ url: req.url!, range: req.headers.range });
    if (req.url !== '/x.pth') { res.writeHead(404); res.end(); return; }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    res.writeHead(m ? 206 : 200, { 'Content-Length': CONTENT.length - start, ...(m ? { 'Content-Range': `bytes ${start}-${CONTENT.length - 1}/${CONTENT.length}` } : {}) });
    res.end(CONTENT.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The CLI in its own process, asynchronously: the loopback server here must keep answering. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const p = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'cellab.ts'), ...args],
    { cwd: ROOT, env: { ...process.env, CELLAB_PROGRESS: '0', ...env } });
  let stdout = '', stderr = '';
  p.stdout.on('data', (d) => { stdout += d; });
  p.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve) => p.on('close', (status) => resolve({ status, stdout, stderr })));
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const entry = (o: Partial<PublishedWeights> = {}): PublishedWeights => ({ id: 'test:x', source: 'torchvision', name: 'x', arch: 'resnet18', url: `${base}/x.pth`,
  file: 'x.pth', sha256Prefix: sha(CONTENT).slice(0, 8), classes: 1000, inputSize: 224, normalization: IMAGENET, ...o });

test('list: every published file with its URL and hash; the text says when only a prefix is checked', async () => {
  const r = await cli(['weights', 'list', '--json'], { CELLAB_WEIGHTS_DIR: tmp });
  assert.equal(r.status, 0, r.stderr);
  const json = JSON.parse(r.stdout.trim().split('\n').pop()!);
  assert.equal(json.dir, tmp);
  const r18 = json.weights.find((w: { id: string }) => w.id === 'torchvision:resnet18');
  assert.deepEqual([r18.url, r18.sha256_prefix, r18.cached], ['https://download.pytorch.org/models/resnet18-f37072fd.pth', 'f37072fd', false]);
  for (const w of json.weights) assert.ok(w.sha256 || w.sha256_prefix || /\/resolve\/[0-9a-f]{40}\//.test(w.url), `${w.id}: neither a hash nor a pinned revision`);
  const text = (await cli(['weights', 'list'], { CELLAB_WEIGHTS_DIR: tmp })).stdout;
  assert.match(text, /torchvision:resnet18 +-> resnet18\n +https:\/\/download\.pytorch\.org\/models\/resnet18-f37072fd\.pth\n +sha256 f37072fd\.\.\. \(only the prefix the source publishes in the file name is checked\)/);
  assert.match(text, /timm:convnext_atto +-> convnext-atto\n.*\n +no hash recorded \(not checked; the URL pins a repository revision\)/);
});

test('fetch: downloads into the folder and checks the hash; a second fetch finds it cached', async () => {
  const dir = path.join(tmp, 'full');
  const r = await downloadWeights(entry(), { dir });
  assert.deepEqual([r.bytes, r.verified, r.cached, r.resumedFrom], [CONTENT.length, 'prefix', false, 0]);
  assert.ok(fs.readFileSync(path.join(dir, 'x.pth')).equals(CONTENT));
  assert.equal(fs.existsSync(path.join(dir, 'x.pth.part')), false);
  const n = requests.length;
  assert.equal((await downloadWeights(entry({ sha256: sha(CONTENT) }), { dir })).cached, true);
  assert.equal(requests.length, n, 'a cached, verified file is not downloaded again');
});

test('fetch resumes a partial download with an HTTP Range request', async () => {
  const dir = path.join(tmp, 'resume');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'x.pth.part'), CONTENT.subarray(0, 123_456));
  const r = await downloadWeights(entry({ sha256: sha(CONTENT) }), { dir });
  assert.equal(requests[requests.length - 1].range, 'bytes=123456-');
  assert.deepEqual([r.resumedFrom, r.verified], [123_456, 'sha256']);
  assert.ok(fs.readFileSync(path.join(dir, 'x.pth')).equals(CONTENT));
});

test('a download that does not match the published hash is deleted, never cached under the published name', async () => {
  const dir = path.join(tmp, 'bad');
  await assert.rejects(downloadWeights(entry({ sha256Prefix: '00000000' }), { dir }), /does not match the published 00000000\.\.\. .*the download was deleted/);
  assert.deepEqual(fs.readdirSync(dir), []);
  // The CLI, from a mirror serving another file: torchvision's published prefix is checked.
  const r = await cli(['weights', 'fetch', 'torchvision:resnet18', '--to', dir, '--url', `${base}/x.pth`]);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /does not match the published f37072fd\.\.\./);
  assert.deepEqual(fs.readdirSync(dir), []);
});

test('offline: one line naming the URL and where to put the file', async () => {
  const closed = http.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const dir = path.join(tmp, 'offline');
  const r = await cli(['weights', 'fetch', 'torchvision:resnet18', '--to', dir, '--url', `http://127.0.0.1:${port}/resnet18-f37072fd.pth`]);
  assert.equal(r.status, 2);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], new RegExp(`^error: cannot download http://127\\.0\\.0\\.1:${port}/resnet18-f37072fd\\.pth \\(ECONNREFUSED\\): offline\\? Download that file elsewhere and copy it to ${dir.replace(/[/.]/g, '\\$&')}/resnet18-f37072fd\\.pth`));
});

test('verify: our logits for PyTorch\'s input array, from a .pth and a .safetensors (--json last line)', async (t) => {
  if (!torchPython()) { t.skip(NO_TORCH); return; }
  const ref = makeReference('resnet18', 32, path.join(tmp, 'verify'), 2);
  for (const [file, arch] of [[ref.pth, 'resnet18'], [ref.safetensors, 'torchvision:resnet18']]) {
    const r = await cli(['weights', 'verify', file, '--arch', arch, '--input', ref.input, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    assert.deepEqual([out.arch, out.shape], ['resnet18', [2, 3, 32, 32]]);
    assert.ok(maxAbsDiff(out.logits, ref.logits) < 1e-4, `max diff ${maxAbsDiff(out.logits, ref.logits)}`);
    assert.match(r.stderr, /resnet18: loaded 122\/122 weights/);
  }
  const bad = await cli(['weights', 'verify', ref.pth, '--arch', 'resnet34', '--input', ref.input]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /does not fit resnet34/);
});
