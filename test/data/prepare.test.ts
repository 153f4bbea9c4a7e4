import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { prepareItems } from '../../src/data/prepare';
import { closePrepareWorkers, prepareMany, workersWorthStarting, type PrepareTrace } from '../../src/data/prepare-pool';
import { loadDataset } from '../../src/data/load';
import { PreparedBatchSource } from '../../src/data/batches';
import type { DatasetItem } from '../../src/data/types';
import { config, gradient, synthSet, tmpDir, writeImage } from './helpers';
import * as tf from '@tensorflow/tfjs';

const IMAGE = { size: 48, resize: 'pad' as const, channels: 'gray' as const, mask: true };

async function items(copy = false): Promise<DatasetItem[]> {
  let root = await synthSet('patterns', 120);
  if (copy) {
    const dst = path.join(tmpDir(), 'set');
    fs.cpSync(root, dst, { recursive: true });
    root = dst;
  }
  return loadDataset(config({ format: 'icpr2012', root, image: IMAGE })).items;
}

const pixelsOf = (p: Awaited<ReturnType<typeof prepareItems>>) => p.items.map((_, i) => Array.from(p.store.samples(i).pixels).join(','));

test('a second pass over the same items decodes nothing and gives the same pixels', async () => {
  const list = await items();
  const cache = { enabled: true, dir: tmpDir() };
  const first = await prepareItems(list, IMAGE, { onBadInput: 'fail', cache, workers: 1 });
  const second = await prepareItems(list, IMAGE, { onBadInput: 'fail', cache, workers: 1 });
  assert.equal(first.stats.decoded, list.length);
  assert.equal(second.stats.decoded, 0);
  assert.equal(second.stats.fromCache, list.length);
  assert.deepEqual(pixelsOf(second), pixelsOf(first));
  assert.deepEqual(second.items.map((i) => i.id), list.map((i) => i.id), 'input order');
  assert.equal(second.store.mean(3), first.store.mean(3));
});

test('a pack is named <item list>-<item keys>.pack; a pack named the older way (<keys>.pack) is reused without decoding', async () => {
  const list = (await items()).slice(0, 30);
  const cache = { enabled: true, dir: tmpDir() };
  const first = await prepareItems(list, IMAGE, { onBadInput: 'fail', cache, workers: 1 });
  const file = first.stats.cacheFile!;
  assert.match(path.basename(file), /^[0-9a-f]{16}-[0-9a-f]{16}\.pack$/);
  // The second pass reads the list's pack while it checks the files (the prefetch) and decodes nothing.
  const second = await prepareItems(list, IMAGE, { onBadInput: 'fail', cache, workers: 1 });
  assert.equal(second.stats.cacheFile, file);
  assert.equal(second.stats.decoded, 0);
  assert.deepEqual(pixelsOf(second), pixelsOf(first));
  // Caches written before the list prefix: their entries are copied into the new pack, not decoded again.
  const old = path.join(path.dirname(file), path.basename(file).split('-')[1]);
  fs.renameSync(file, old);
  const upgraded = await prepareItems(list, IMAGE, { onBadInput: 'fail', cache, workers: 1 });
  assert.equal(upgraded.stats.decoded, 0);
  assert.equal(upgraded.stats.fromCache, list.length);
  assert.equal(upgraded.stats.cacheFile, file);
  assert.deepEqual(pixelsOf(upgraded), pixelsOf(first));
  assert.deepEqual(fs.readdirSync(path.dirname(file)), [path.basename(file)], 'the old pack is pruned once the new one holds its entries');
});

test('a damaged pack is not trusted: the images are decoded again', async () => {
  const list = (await items()).slice(0, 12);
  const cache = { enabled: true, dir: tmpDir() };
  const first = await prepareItems(list, IMAGE, { onBadInput: 'fail', cache, workers: 1 });
  const file = first.stats.cacheFile!;
  fs.truncateSync(file, fs.statSync(file).size - 3);   // the magic is gone
  const again = await prepareItems(list, IMAGE, { onBadInput: 'fail', cache, workers: 1 });
  assert.equal(again.stats.decoded, list.length);
  assert.deepEqual(pixelsOf(again), pixelsOf(first));
});

test('a changed file is decoded again; the other items come from the cache', async () => {
  const list = await items(true);
  const cache = { enabled: true, dir: tmpDir() };
  await prepareItems(list, IMAGE, { onBadInput: 'fail', cache, workers: 1 });
  const target = list[7];
  await writeImage(target.path, gradient(40, 40).fill(200, 0, 400), 40, 40, 1);
  await writeImage(target.maskPath!, new Uint8Array(40 * 40).fill(255), 40, 40, 1);
  const again = await prepareItems(list, IMAGE, { onBadInput: 'fail', cache, workers: 1 });
  assert.equal(again.stats.decoded, 1);
  assert.equal(again.stats.fromCache, list.length - 1);
  assert.equal(again.store.samples(7).pixels[0], 200, 'the new pixels, not the cached ones');
});

test('preprocessing settings are part of the key: another size or channel choice decodes again', async () => {
  const list = (await items()).slice(0, 20);
  const cache = { enabled: true, dir: tmpDir() };
  await prepareItems(list, IMAGE, { onBadInput: 'fail', cache, workers: 1 });
  const other = await prepareItems(list, { ...IMAGE, size: 32 }, { onBadInput: 'fail', cache, workers: 1 });
  assert.equal(other.stats.decoded, 20);
  assert.equal(other.store.samplesPerItem, 32 * 32);
  const unmasked = await prepareItems(list, { ...IMAGE, mask: false }, { onBadInput: 'fail', cache, workers: 1 });
  assert.equal(unmasked.stats.decoded, 20);
  assert.equal(fs.readdirSync(cache.dir).length, 3, 'one folder per setting');
});

test('streaming serves batches from the cache file without holding pixels, identical to the in-memory source', async () => {
  const list = await items();
  const cache = { enabled: true, dir: tmpDir() };
  const mem = await prepareItems(list, IMAGE, { onBadInput: 'fail', cache, workers: 1 });
  const streamed = await prepareItems(list, IMAGE, { onBadInput: 'fail', cache, stream: true, workers: 1 });
  assert.ok(mem.store.memoryBytes >= list.length * 48 * 48);
  assert.equal(streamed.store.memoryBytes, 0);
  assert.equal(streamed.store.streaming, true);
  const source = (p: typeof mem) => new PreparedBatchSource(p.store, p.items.map((_, i) => i), new Int32Array(p.items.length), p.items.map((i) => i.id), 2);
  const firstBatch = (p: typeof mem) => {
    const b = source(p).batches({ batchSize: 16 })[Symbol.iterator]().next().value!;
    const x = Array.from(b.x.dataSync() as Float32Array);
    tf.dispose([b.x, b.y]);
    return x;
  };
  assert.deepEqual(firstBatch(streamed), firstBatch(mem));
  streamed.store.close();
  // Auto: streams above the byte limit.
  const auto = await prepareItems(list, IMAGE, { onBadInput: 'fail', cache, streamAboveBytes: 1000, workers: 1 });
  assert.equal(auto.store.streaming, true);
  auto.store.close();
});

test('with the cache off nothing is written there; a streaming pack lives in a temp folder until closed', async () => {
  const list = (await items()).slice(0, 10);
  const dir = tmpDir();
  const off = await prepareItems(list, IMAGE, { onBadInput: 'fail', cache: { enabled: false, dir }, workers: 1 });
  assert.equal(off.stats.cacheFile, undefined);
  assert.deepEqual(fs.readdirSync(dir), []);
  const before = new Set(fs.readdirSync(path.dirname(tmpDir())).filter((n) => n.startsWith('cellab-stream-')));
  const streamed = await prepareItems(list, IMAGE, { onBadInput: 'fail', cache: { enabled: false }, stream: true, workers: 1 });
  const made = fs.readdirSync(path.dirname(tmpDir())).filter((n) => n.startsWith('cellab-stream-') && !before.has(n));
  assert.equal(made.length, 1);
  streamed.store.close();
  assert.equal(fs.existsSync(path.join(path.dirname(tmpDir()), made[0])), false, 'removed on close');
});

/** Every result of one prepareMany: bytes and type of the pixels, or the file and problem of a bad one. */
async function runPool(list: DatasetItem[], o: { workers: number; mainThread?: boolean; trace?: PrepareTrace }) {
  const out: string[] = new Array(list.length);
  let calls = 0;
  const threads = await prepareMany(list, IMAGE, (i, r) => {
    calls++;
    out[i] = r.ok
      ? `${r.image.pixels.constructor.name} ${r.image.bitDepth} ${r.image.mean} ${r.image.width}x${r.image.height} ${Buffer.from(r.image.pixels.buffer, r.image.pixels.byteOffset, r.image.pixels.byteLength).toString('base64')}`
      : `bad ${r.file}: ${r.problem}`;
  }, o);
  assert.equal(calls, list.length, 'one result per item');
  return { out, threads };
}

test('worker threads give the same pixels as the main thread, byte for byte, and are kept for the next job', async () => {
  const root = await synthSet('patterns', 300);
  const list = loadDataset(config({ format: 'icpr2012', root, image: IMAGE })).items;
  const main = await runPool(list, { workers: 1 });
  const trace = {} as PrepareTrace;
  const pooled = await runPool(list, { workers: 2, mainThread: false, trace });
  assert.equal(main.threads, 1);
  assert.equal(pooled.threads, 2, 'the worker thread prepared the images');
  assert.deepEqual([trace.mainItems, trace.workerItems], [0, list.length]);
  assert.deepEqual(pooled.out, main.out);
  // The same worker takes the next job (no start-up), and gives the same bytes again.
  const again = await runPool(list, { workers: 2, mainThread: false, trace });
  assert.equal(trace.reused, 1);
  assert.deepEqual(again.out, main.out);
  await closePrepareWorkers();
  await runPool(list.slice(0, 40), { workers: 2, mainThread: false, trace });
  assert.equal(trace.reused, 0, 'closePrepareWorkers stopped the kept worker');
  await closePrepareWorkers();
});

test('bad files prepared in a worker are reported as on the main thread, naming the file', async () => {
  const root = path.join(tmpDir(), 'set');
  fs.cpSync(await synthSet('patterns', 120), root, { recursive: true });
  const list = loadDataset(config({ format: 'icpr2012', root, image: IMAGE })).items.slice(0, 60);
  fs.writeFileSync(list[3].path, 'this is not an image\n');
  fs.rmSync(list[17].maskPath!);
  fs.writeFileSync(list[40].path, fs.readFileSync(list[40].path).subarray(0, 60));
  const main = await runPool(list, { workers: 1 });
  const pooled = await runPool(list, { workers: 2, mainThread: false });
  await closePrepareWorkers();
  assert.equal(pooled.threads, 2);
  assert.deepEqual(pooled.out, main.out);
  assert.match(pooled.out[3], new RegExp(`^bad ${list[3].path}: is not an image \\(text starting with`));
  assert.match(pooled.out[17], new RegExp(`^bad ${list[17].maskPath}: file is missing`));
  assert.match(pooled.out[40], new RegExp(`^bad ${list[40].path}: `));
  assert.equal(pooled.out.filter((o) => o.startsWith('bad ')).length, 3);
  // Through prepareItems: the same skip list, in input order.
  const skipped = await prepareItems(list, IMAGE, { onBadInput: 'skip', cache: { enabled: false }, workers: 2 });
  assert.deepEqual(skipped.skipped.map((b) => b.where), [list[3].path, list[17].maskPath, list[40].path]);
  assert.equal(skipped.items.length, 57);
});

test('workers are started only when the work left on the main thread is worth one', () => {
  // 0.3 ms per image (a 64 px crop here): 1,455 images left are ~440 ms, worth a new worker; 500 (~150 ms) are not.
  assert.equal(workersWorthStarting(0.3, 1455, 1, 0), 1);
  assert.equal(workersWorthStarting(0.3, 500, 1, 0), 0);
  // A worker kept from an earlier job costs no start-up: 500 images are worth it, 30 are not.
  assert.equal(workersWorthStarting(0.3, 500, 1, 1), 1);
  assert.equal(workersWorthStarting(0.3, 30, 1, 1), 0);
  // Never more than asked for, and each further worker needs its own share of the work.
  assert.equal(workersWorthStarting(0.3, 100_000, 3, 0), 3);
  assert.equal(workersWorthStarting(0.3, 100_000, 0, 0), 0);
  assert.equal(workersWorthStarting(0.3, 800, 3, 0), 1);
  assert.equal(workersWorthStarting(0.3, 1100, 3, 0), 2);
  // Large images: few of them can be worth workers.
  assert.equal(workersWorthStarting(80, 6, 3, 0), 3);
  assert.equal(workersWorthStarting(80, 2, 3, 0), 0);
});

test('a small job stays on the main thread (no worker started)', async () => {
  const list = (await items()).slice(0, 20);
  const trace = {} as PrepareTrace;
  const r = await runPool(list, { workers: 4, trace });
  assert.equal(r.threads, 1);
  assert.equal(trace.wanted, 0);
  assert.equal(trace.mainItems, list.length);
});

test('workers kept for the process do not keep it alive', async () => {
  const root = await synthSet('patterns', 300);
  const code = `
    const { prepareMany } = require(${JSON.stringify(require.resolve('../../src/data/prepare-pool'))});
    const { loadDataset } = require(${JSON.stringify(require.resolve('../../src/data/load'))});
    const { config } = require(${JSON.stringify(require.resolve('./helpers'))});
    (async () => {
      const image = ${JSON.stringify(IMAGE)};
      const list = loadDataset(config({ format: 'icpr2012', root: ${JSON.stringify(root)}, image })).items;
      const threads = await prepareMany(list, image, () => {}, { workers: 2, mainThread: false });
      console.log('threads', threads);
    })();`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.signal, null, 'the process exited by itself');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'threads 2');
});

test('worker threads that cannot start: the images are still prepared, on the main thread, and that is said once with the reason', async () => {
  const root = await synthSet('patterns', 300);
  const code = `
    const wt = require('node:worker_threads');
    wt.Worker = class { constructor() { throw new Error('threads are disabled here'); } };
    const { prepareMany } = require(${JSON.stringify(require.resolve('../../src/data/prepare-pool'))});
    const { loadDataset } = require(${JSON.stringify(require.resolve('../../src/data/load'))});
    const { config } = require(${JSON.stringify(require.resolve('./helpers'))});
    (async () => {
      const image = ${JSON.stringify(IMAGE)};
      const list = loadDataset(config({ format: 'icpr2012', root: ${JSON.stringify(root)}, image })).items;
      for (let k = 0; k < 2; k++) {
        let ok = 0;
        // mainThread false: workers are wanted whatever the job's size; they fail and the main thread does the job.
        const threads = await prepareMany(list, image, (i, r) => { if (r.ok) ok++; }, { workers: 2, mainThread: false });
        console.log(threads, ok, list.length);
      }
    })();`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const [n] = r.stdout.trim().split('\n').map((l) => l.split(' ').map(Number));
  assert.deepEqual(n, [1, n[2], n[2]], 'every image prepared on the main thread');
  const said = r.stderr.split('\n').filter((l) => l.includes('worker threads did not start'));
  assert.deepEqual(said, ['cellab: image-preparing worker threads did not start (threads are disabled here); decoding on the main thread only, which is slower']);
});
