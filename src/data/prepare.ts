// Items -> prepared pixels, through the on-disk cache. The cache is a folder
// per preprocessing setting holding pack files; a pack is named by its item
// list and the identity of every item in it, so a second run of the same
// experiment opens one file (read while the files are checked) and decodes nothing. When some files changed, the unchanged items
// are copied from older packs and only the changed ones are decoded.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ImageConfig } from './schema';
import type { DatasetItem } from './types';
import { BadInputCollector, type BadInput } from './bad-input';
import { PackReader, PackWriter, prefetchPack, type PackEntry } from './cache/pack';
import { CACHE_FORMAT, digest, itemKey, listDigest } from './cache/keys';
import { defaultCacheDir } from './cache/location';
import { channelCount, preprocessingKey, type PreparedImage } from './image';
import { prepareMany, type PrepareResult } from './prepare-pool';
import { PixelStore } from './store';

export interface CacheOptions {
  enabled: boolean;
  /** Default: `.cache/cellab-data` at the project root. */
  dir?: string;
}

export interface PrepareItemsOptions {
  onBadInput: 'fail' | 'skip';
  onProgress?: (done: number, total: number) => void;
  cache?: CacheOptions;
  /** Read pixels from the cache file per batch instead of holding them; `auto` streams above `streamAboveBytes`. */
  stream?: 'auto' | boolean;
  streamAboveBytes?: number;
  /** Threads decoding images, the main one included (default: cores, max 4; 1 = main thread); workers start only when the measured work is worth it (prepare-pool.ts). */
  workers?: number;
  /** Included in error messages ("in the training split"). */
  what?: string;
}

export interface PreparedSet {
  /** Items that were prepared (bad ones are left out under `onBadInput: skip`). */
  items: DatasetItem[];
  /** Pixels of `items[i]` at index i. */
  store: PixelStore;
  skipped: BadInput[];
  stats: { decoded: number; fromCache: number; seconds: number; cacheFile?: string; /** Threads that decoded (main included). */ threads: number };
}

/** 1 GiB of prepared samples: above this, `stream: auto` reads batches from disk. */
export const STREAM_ABOVE_BYTES = 1 << 30;

/** Keep at most this many packs per preprocessing setting (the newest). */
const MAX_PACKS = 8;

function listPacks(dir: string): string[] {
  let names: string[] = [];
  try { names = fs.readdirSync(dir).filter((n) => n.endsWith('.pack')); } catch { return []; }
  return names
    .map((n) => ({ f: path.join(dir, n), t: fs.statSync(path.join(dir, n)).mtimeMs }))
    .sort((a, b) => b.t - a.t)
    .map((x) => x.f);
}

/** Entries reusable from older packs of the same setting, newest first. */
function reusableEntries(dir: string, except: string, want: Set<string>): Map<string, { reader: PackReader; entry: PackEntry }> {
  const found = new Map<string, { reader: PackReader; entry: PackEntry }>();
  for (const file of listPacks(dir)) {
    if (file === except || found.size === want.size) continue;
    const reader = PackReader.open(file);
    if (!reader) continue;
    let used = false;
    for (const [key, entry] of reader.entries) {
      if (want.has(key) && !found.has(key)) { found.set(key, { reader, entry }); used = true; }
    }
    if (!used) reader.close();
  }
  return found;
}

/** Drop the oldest packs beyond MAX_PACKS and any pack whose entries the new pack holds. */
function prune(dir: string, keep: string, keptKeys: Set<string>): void {
  listPacks(dir).forEach((file, rank) => {
    if (file === keep) return;
    const r = PackReader.open(file);
    const covered = r ? [...r.entries.keys()].every((k) => keptKeys.has(k)) : true;
    r?.close();
    if (covered || rank >= MAX_PACKS) fs.rmSync(file, { force: true });
  });
}

function estimateBytes(n: number, image: ImageConfig): number {
  return n * image.size * image.size * channelCount(image.channels);
}

/**
 * Prepare every item (decode, mask, resize) once, through the cache.
 * Bad files are collected: `fail` throws one DataError listing them all,
 * `skip` leaves them out and returns them in `skipped`.
 */
export async function prepareItems(items: DatasetItem[], image: ImageConfig, o: PrepareItemsOptions): Promise<PreparedSet> {
  const t0 = performance.now();
  const cacheOn = o.cache?.enabled ?? true;
  const streaming = o.stream === true || (o.stream !== false && estimateBytes(items.length, image) > (o.streamAboveBytes ?? STREAM_ABOVE_BYTES));
  const settings = { format: CACHE_FORMAT, ...preprocessingKey(image) };
  const dir = cacheOn
    ? path.join(o.cache?.dir ?? defaultCacheDir(), `prep-${digest(settings)}`)
    : path.join(os.tmpdir(), `cellab-stream-${process.pid}-${Date.now()}`);
  // A pack is named by its item list (files only) and the items' keys (files' sizes and mtimes):
  // a second run finds the list's newest pack by name and reads it on a libuv thread while the
  // main thread stats every file for the keys; it is used only if the keys still name it.
  const listName = listDigest(items, image.mask);
  const guess = cacheOn && !streaming ? listPacks(dir).find((f) => path.basename(f).startsWith(`${listName}-`)) : undefined;
  const prefetched = guess ? prefetchPack(guess) : undefined;
  const keys = items.map((it) => itemKey(it, image.mask));
  const packFile = path.join(dir, `${listName}-${digest(keys)}.pack`);
  const shape: [number, number, number] = [image.size, image.size, channelCount(image.channels)];
  const store = new PixelStore(shape, streaming);
  const bad = new BadInputCollector();
  const slotOf = new Array<number>(items.length).fill(-1);
  let decoded = 0, fromCache = 0, done = 0, threads = 1;

  const whole = cacheOn && guess === packFile ? await prefetched : undefined;
  const existing = !cacheOn ? undefined : whole ? PackReader.fromBuffer(packFile, whole) ?? PackReader.open(packFile) : PackReader.open(packFile);
  const missing: number[] = [];
  if (existing) {
    if (!streaming) existing.loadAll();
    items.forEach((_, i) => {
      const e = existing.entries.get(keys[i]);
      if (!e) { missing.push(i); return; }
      slotOf[i] = streaming ? store.addPacked(existing, e) : store.addPixels(existing.samples(e), e.bitDepth, e.mean);
      fromCache++;
      o.onProgress?.(++done, items.length);
    });
    if (!streaming) existing.close();
    else store.whenClosed(() => existing.close());
  } else missing.push(...items.map((_, i) => i));

  if (missing.length > 0) {
    // Nothing to write when every item came from the pack (the misses are bad files that fail again).
    const writeNew = cacheOn ? !existing : streaming;
    let writer: PackWriter | undefined;
    if (writeNew) {
      fs.mkdirSync(dir, { recursive: true });
      writer = new PackWriter(packFile, settings);
    }
    const reuse = cacheOn && !existing ? reusableEntries(dir, packFile, new Set(missing.map((i) => keys[i]))) : new Map();
    const toDecode: number[] = [];
    const finishOne = (i: number, img: Pick<PreparedImage, 'pixels' | 'bitDepth' | 'mean' | 'width' | 'height'>) => {
      writer?.append(keys[i], img);
      if (!streaming || !writer) slotOf[i] = store.addPixels(img.pixels, img.bitDepth, img.mean);
      o.onProgress?.(++done, items.length);
    };
    try {
      for (const i of missing) {
        const hit = reuse.get(keys[i]);
        if (hit) {
          finishOne(i, { pixels: hit.reader.samples(hit.entry), bitDepth: hit.entry.bitDepth, mean: hit.entry.mean, width: hit.entry.width, height: hit.entry.height });
          fromCache++;
        } else toDecode.push(i);
      }
      for (const { reader } of reuse.values()) reader.close();
      // Bad files are reported in input order, whichever thread found them first.
      const badAt: { i: number; file: string; problem: string }[] = [];
      threads = await prepareMany(toDecode.map((i) => items[i]), image, (k: number, r: PrepareResult) => {
        const i = toDecode[k];
        if (r.ok) { decoded++; finishOne(i, r.image); return; }
        badAt.push({ i, file: r.file, problem: r.problem });
        o.onProgress?.(++done, items.length);
      }, { workers: o.workers });
      for (const b of badAt.sort((x, y) => x.i - y.i)) bad.add(b.file, b.problem, items[b.i].id);
      writer?.finish();
    } catch (err) {
      writer?.abort();
      throw err;
    }
    if (writer && streaming) {
      // Streamed: the new pack holds every good item; serve them from it.
      const reader = PackReader.open(packFile);
      if (!reader) throw new Error(`cannot reopen the image cache ${packFile} just written; check the disk`);
      items.forEach((_, i) => {
        const e = reader.entries.get(keys[i]);
        if (e && slotOf[i] < 0) slotOf[i] = store.addPacked(reader, e);
      });
      store.whenClosed(() => reader.close());
    }
    if (cacheOn && writer) prune(dir, packFile, new Set(writer.entries.map((e) => e.key)));
    if (!cacheOn) {
      // A temporary pack for streaming without the cache: removed on close, or at exit at the latest.
      const remove = () => fs.rmSync(dir, { recursive: true, force: true });
      process.once('exit', remove);
      store.whenClosed(() => { remove(); process.off('exit', remove); });
    }
  }

  bad.check(o.onBadInput, o.what ?? 'the images');
  // Items in input order; the store's slots are in completion order.
  const kept = items.map((_, i) => i).filter((i) => slotOf[i] >= 0);
  const ordered = new PixelStore(shape, streaming);
  ordered.adoptFrom(store, kept.map((i) => slotOf[i]));
  return {
    items: kept.map((i) => items[i]),
    store: ordered,
    skipped: bad.problems,
    stats: { decoded, fromCache, seconds: (performance.now() - t0) / 1000, threads, ...(cacheOn ? { cacheFile: packFile } : {}) },
  };
}
