// Shared by the data tests: temporary folders, small synthetic sets (made
// once per machine and reused), image files written with sharp, and
// Debian's Python (PIL, scikit-learn) as an oracle.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCsv } from '../../src/data/csv';
import sharp from 'sharp';
import { generateSynthetic } from '../../src/data/synth/index';
import { resolveDatasetConfig } from '../../src/data/load';
import type { DatasetConfig } from '../../src/data/schema';

export const PYTHON = '/usr/bin/python3';

export function tmpDir(prefix = 'cellab-data-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Changes whenever the generator's code changes, so a reused set is never stale. */
function generatorVersion(): string {
  const dir = path.join(__dirname, '../../src/data/synth');
  const h = createHash('sha1');
  for (const f of fs.readdirSync(dir).sort()) h.update(fs.readFileSync(path.join(dir, f)));
  return h.digest('hex').slice(0, 10);
}

/** A synthetic set (generated on first use, then reused from the temp folder). */
export async function synthSet(kind: 'patterns' | 'intensity', n: number, seed = 1, anomalyFraction?: number): Promise<string> {
  const root = path.join(os.tmpdir(), `cellab-test-synth-${generatorVersion()}`, `${kind}-${n}-${seed}-${anomalyFraction ?? 'default'}`);
  if (fs.existsSync(path.join(root, 'synth.csv'))) return root;
  const tmp = `${root}.partial-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  await generateSynthetic({ out: tmp, kind, n, seed, ...(anomalyFraction !== undefined ? { anomalyFraction } : {}) });
  try {
    fs.renameSync(tmp, root);
  } catch {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return root;
}

/** Every file under `root` (relative path -> sha1): two trees are byte-identical when their maps are equal. */
export function hashTree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else out.set(r, createHash('sha1').update(fs.readFileSync(path.join(root, r))).digest('hex'));
    }
  };
  walk('');
  return out;
}

/** Rows of a synthetic set's synth.csv (the truth: pattern, specimen, anomaly, ...). */
export function synthTruth(root: string): Record<string, string>[] {
  return readCsv(path.join(root, 'synth.csv')).rows.map((r) => r.values);
}

/** Write raw interleaved 8-bit pixels as a PNG (or another format sharp writes). */
export async function writeImage(file: string, pixels: Uint8Array, width: number, height: number, channels: 1 | 3 | 4,
  format: 'png' | 'jpeg' | 'tiff' = 'png'): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Without toColourspace('b-w'), sharp writes one-channel input as RGB.
  const img = sharp(Buffer.from(pixels), { raw: { width, height, channels } }).toColourspace(channels === 1 ? 'b-w' : 'srgb');
  await (format === 'png' ? img.png() : format === 'jpeg' ? img.jpeg({ quality: 95 }) : img.tiff()).toFile(file);
}

/** A grey test image: a gradient, so every pixel differs. */
export function gradient(width: number, height: number, channels = 1): Uint8Array {
  const out = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) for (let c = 0; c < channels; c++) {
    out[(y * width + x) * channels + c] = (x * 7 + y * 13 + c * 50) % 256;
  }
  return out;
}

/** A binary mask: an ellipse filling most of the image. */
export function ellipseMask(width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const dx = (x - (width - 1) / 2) / (width * 0.45), dy = (y - (height - 1) / 2) / (height * 0.45);
    out[y * width + x] = dx * dx + dy * dy <= 1 ? 255 : 0;
  }
  return out;
}

/** Run a Python snippet with Debian's python3 (PIL, numpy, scikit-learn); its stdout parsed as JSON. */
export function python<T = unknown>(code: string, args: string[] = []): T {
  const out = execFileSync(PYTHON, ['-c', code, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return JSON.parse(out) as T;
}

/** A dataset config with defaults, its cache in a fresh temp folder. */
export function config(partial: Record<string, unknown>): DatasetConfig {
  return resolveDatasetConfig({ cache: { dir: tmpDir('cellab-cache-') }, workers: 1, ...partial });
}

/**
 * A folder-per-class copy of a synthetic ICPR set: `<out>/<pattern>/<id>.png`,
 * masks in a parallel `<out>-masks/<pattern>/<id>.png` tree.
 */
export function folderSet(icprRoot: string, out = path.join(tmpDir(), 'cells')): { root: string; masks: string } {
  const masks = `${out}-masks`;
  for (const r of synthTruth(icprRoot)) {
    for (const [base, rel] of [[out, r.path], [masks, r.mask]] as const) {
      const dst = path.join(base, r.pattern, `${r.id}.png`);
      fs.mkdirSync(path.dirname(dst), { recursive: true });
      fs.copyFileSync(path.join(icprRoot, rel), dst);
    }
  }
  return { root: out, masks };
}
