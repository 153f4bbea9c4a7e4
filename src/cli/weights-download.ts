// Downloading a published weights file into the cache (here in cli/: the
// models layer stays offline): `<file>.part` while it
// arrives (a later call resumes it with an HTTP Range request), the hash
// checked before the file takes its final name, so the cache never holds an
// unverified file under a published name.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { PublishedWeights } from '../models/import/published';

export interface DownloadOptions {
  /** Folder to write into (default: the weights cache). */
  dir: string;
  /** Fetch from here instead of the published URL (a mirror). */
  url?: string;
  /** Progress: bytes so far and the total when known. */
  onProgress?: (done: number, total: number | undefined) => void;
  log?: (line: string) => void;
}

export interface DownloadResult {
  file: string;
  bytes: number;
  sha256: string;
  /** How the hash was checked. */
  verified: 'sha256' | 'prefix' | 'none';
  /** Bytes that were already there from an interrupted download. */
  resumedFrom: number;
  /** The file was already in the cache and verified: nothing downloaded. */
  cached: boolean;
}

/** Thrown when the server cannot be reached: one line saying what to download and where to put it. */
export class OfflineError extends Error {}

export function sha256File(file: string): string {
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    let n: number;
    while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/** Does `sha256` match what is published for `w`? */
export function checkHash(w: PublishedWeights, sha256: string): { ok: boolean; verified: DownloadResult['verified']; expected: string } {
  if (w.sha256) return { ok: sha256 === w.sha256, verified: 'sha256', expected: w.sha256 };
  if (w.sha256Prefix) return { ok: sha256.startsWith(w.sha256Prefix), verified: 'prefix', expected: `${w.sha256Prefix}... (the prefix the file name publishes)` };
  return { ok: true, verified: 'none', expected: '(none published)' };
}

function offlineLine(w: PublishedWeights, url: string, target: string, why: string): string {
  return `cannot download ${url} (${why}): offline? Download that file elsewhere and copy it to ${target} (or set CELLAB_WEIGHTS_DIR, or use model.pretrained: ${w.id}=PATH)`;
}

export async function downloadWeights(w: PublishedWeights, o: DownloadOptions): Promise<DownloadResult> {
  const target = path.join(o.dir, w.file);
  const part = `${target}.part`;
  const url = o.url ?? w.url;
  fs.mkdirSync(o.dir, { recursive: true });
  if (fs.existsSync(target)) {
    const sha = sha256File(target);
    const c = checkHash(w, sha);
    if (c.ok) return { file: target, bytes: fs.statSync(target).size, sha256: sha, verified: c.verified, resumedFrom: 0, cached: true };
    o.log?.(`cellab: ${target} does not match the published hash (${c.expected}); downloading it again`);
    fs.rmSync(target);
  }
  const have = fs.existsSync(part) ? fs.statSync(part).size : 0;
  let res: Response;
  try {
    res = await fetch(url, { headers: have > 0 ? { Range: `bytes=${have}-` } : {} });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new OfflineError(offlineLine(w, url, target, cause?.code ?? cause?.message ?? (err as Error).message));
  }
  if (res.status !== 200 && res.status !== 206) {
    if (res.status === 416 && have > 0) {
      // The part file is complete (or longer than the file): start again below.
      fs.rmSync(part);
      return downloadWeights(w, o);
    }
    throw new Error(`cannot download ${url}: HTTP ${res.status} ${res.statusText}`);
  }
  const resumed = res.status === 206 ? have : 0;
  if (have > 0 && resumed === 0) o.log?.(`cellab: the server does not resume downloads; starting ${w.file} again`);
  const length = Number(res.headers.get('content-length') ?? NaN);
  const total = Number.isFinite(length) ? resumed + length : undefined;
  const out = fs.createWriteStream(part, { flags: resumed > 0 ? 'a' : 'w' });
  let done = resumed;
  try {
    const reader = res.body!.getReader();
    for (;;) {
      const { done: end, value } = await reader.read();
      if (end) break;
      if (!out.write(value)) await new Promise<void>((r) => out.once('drain', () => r()));
      done += value.byteLength;
      o.onProgress?.(done, total);
    }
  } catch (err) {
    throw new OfflineError(offlineLine(w, url, target, `interrupted after ${done} bytes: ${(err as Error).message}; run the command again to resume`));
  } finally {
    await new Promise<void>((r) => out.end(() => r()));
  }
  if (total !== undefined && done !== total) throw new Error(`download of ${url} stopped at ${done} of ${total} bytes; run the command again to resume`);
  const sha = sha256File(part);
  const c = checkHash(w, sha);
  if (!c.ok) {
    fs.rmSync(part);
    throw new Error(`${url}: SHA-256 ${sha} does not match the published ${c.expected}; the download was deleted (a corrupt or different file)`);
  }
  fs.renameSync(part, target);
  return { file: target, bytes: done, sha256: sha, verified: c.verified, resumedFrom: resumed, cached: false };
}
