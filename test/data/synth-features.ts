// Helpers for the synthetic-set tests: decode a set's images (sharp) and
// compute per-image features (mean intensity, a texture measure).
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';

export interface SynthRow {
  id: string;
  path: string;
  mask: string;
  pattern: string;
  intensity: string;
  specimen: string;
  split: string;
  anomaly: string;
}

export function readSynthCsv(root: string): SynthRow[] {
  const [head, ...lines] = fs.readFileSync(path.join(root, 'synth.csv'), 'utf8').trim().split('\n');
  const cols = head.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v])) as unknown as SynthRow);
}

export interface Grey {
  width: number;
  height: number;
  channels: number;
  data: Buffer;
}

/** Decode an image; `channels` is what the file holds, `data` its first channel. */
export async function decodeGrey(file: string): Promise<Grey> {
  const meta = await sharp(file).metadata();
  // sharp's raw output of a grey PNG is RGB: take the first channel.
  const { data, info } = await sharp(file).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: meta.channels ?? 0, data };
}

export interface Features {
  /** Mean grey level of the whole crop. */
  mean: number;
  /** Mean grey level inside the mask. */
  maskMean: number;
  /** Mean |Laplacian| inside the mask relative to the mask mean: local texture contrast. */
  laplacian: number;
  /** Std / mean inside the mask. */
  cv: number;
  /** Mean of the 3-px band just outside the mask relative to the mask mean: light spilling out (high when defocused). */
  halo: number;
}

export function features(img: Grey, mask: Grey): Features {
  const { width: w, height: h, data } = img;
  let sum = 0, mSum = 0, mN = 0, mSq = 0, lap = 0, lapN = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x, v = data[i];
      sum += v;
      if (!mask.data[i]) continue;
      mSum += v;
      mSq += v * v;
      mN++;
      if (x > 0 && y > 0 && x < w - 1 && y < h - 1) {
        lap += Math.abs(4 * v - data[i - 1] - data[i + 1] - data[i - w] - data[i + w]);
        lapN++;
      }
    }
  }
  const maskMean = mSum / mN;
  let band = 0, bandN = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (mask.data[y * w + x]) continue;
      let near = false;
      for (let dy = -3; dy <= 3 && !near; dy++) {
        for (let dx = -3; dx <= 3 && !near; dx++) {
          const yy = y + dy, xx = x + dx;
          near = yy >= 0 && yy < h && xx >= 0 && xx < w && mask.data[yy * w + xx] > 0;
        }
      }
      if (near) {
        band += data[y * w + x];
        bandN++;
      }
    }
  }
  return {
    halo: band / Math.max(1, bandN) / Math.max(1, maskMean),
    mean: sum / (w * h),
    maskMean,
    laplacian: lap / lapN / Math.max(1, maskMean),
    cv: Math.sqrt(Math.max(0, mSq / mN - maskMean * maskMean)) / Math.max(1, maskMean),
  };
}

/** Features of every row (decoded in small parallel batches). */
export async function featuresOf(root: string, rows: SynthRow[]): Promise<Features[]> {
  const out: Features[] = [];
  for (let i = 0; i < rows.length; i += 16) {
    const batch = rows.slice(i, i + 16);
    out.push(...(await Promise.all(batch.map(async (r) =>
      features(await decodeGrey(path.join(root, r.path)), await decodeGrey(path.join(root, r.mask)))))));
  }
  return out;
}

/**
 * Per-class diagonal Gaussian (naive Bayes with equal priors) fitted on the
 * training rows; returns the test split's average class accuracy (mean recall).
 */
export function gaussianAca(train: { x: number[]; y: string }[], test: { x: number[]; y: string }[]): number {
  const classes = [...new Set(train.map((t) => t.y))].sort();
  const model = classes.map((c) => {
    const xs = train.filter((t) => t.y === c).map((t) => t.x);
    const d = xs[0].length;
    const mean = Array.from({ length: d }, (_, j) => xs.reduce((s, x) => s + x[j], 0) / xs.length);
    const vr = Array.from({ length: d }, (_, j) => xs.reduce((s, x) => s + (x[j] - mean[j]) ** 2, 0) / xs.length + 1e-9);
    return { c, mean, vr };
  });
  const predict = (x: number[]) => {
    let best = '', bestLl = -Infinity;
    for (const m of model) {
      let ll = 0;
      for (let j = 0; j < x.length; j++) ll -= 0.5 * (Math.log(m.vr[j]) + (x[j] - m.mean[j]) ** 2 / m.vr[j]);
      if (ll > bestLl) { bestLl = ll; best = m.c; }
    }
    return best;
  };
  const recalls = classes.map((c) => {
    const items = test.filter((t) => t.y === c);
    return items.filter((t) => predict(t.x) === c).length / items.length;
  });
  return recalls.reduce((s, r) => s + r, 0) / recalls.length;
}
