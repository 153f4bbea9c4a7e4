import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { prepareItems } from '../../src/data/prepare';
import { prepareMany } from '../../src/data/prepare-pool';
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

test('worker threads give the same pixels as the main thread', async () => {
  const root = await synthSet('patterns', 300);
  const list = loadDataset(config({ format: 'icpr2012', root, image: IMAGE })).items;
  const run = async (o: { workers: number; mainThread?: boolean }) => {
    const out: string[] = new Array(list.length);
    const threads = await prepareMany(list, IMAGE, (i, r) => { out[i] = r.ok ? Array.from(r.image.pixels).join(',') : r.problem; }, o);
    return { out, threads };
  };
  const main = await run({ workers: 1 });
  const pooled = await run({ workers: 2, mainThread: false });
  assert.equal(main.threads, 1);
  assert.equal(pooled.threads, 2, 'the worker thread prepared the images');
  assert.deepEqual(pooled.out, main.out);
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
        const threads = await prepareMany(list, image, (i, r) => { if (r.ok) ok++; }, { workers: 2 });
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
