// Batch-level mixing with soft targets: mixup blends whole images, CutMix
// pastes a patch; targets mix in proportion (lambda = share of the image
// kept). The training loss takes soft targets (-sum(y * logSoftmax)).
import type { BatchArrays } from '../batches';
import type { Box } from './geometry';

/** x_i = lam x_i + (1 - lam) x_perm[i]; the same for y. In place. */
export function mixup(b: BatchArrays, lam: number, perm: number[]): void {
  const per = b.shape[0] * b.shape[1] * b.shape[2];
  const x = b.x.slice(), y = b.y.slice();
  for (let i = 0; i < b.n; i++) {
    const j = perm[i];
    for (let p = 0; p < per; p++) b.x[i * per + p] = lam * x[i * per + p] + (1 - lam) * x[j * per + p];
    for (let k = 0; k < b.numClasses; k++) b.y[i * b.numClasses + k] = lam * y[i * b.numClasses + k] + (1 - lam) * y[j * b.numClasses + k];
  }
}

/** Paste `box` of image perm[i] into image i; targets mix by area. Returns lambda. In place. */
export function cutmix(b: BatchArrays, box: Box, perm: number[]): number {
  const [h, w, c] = b.shape;
  const per = h * w * c;
  const x = b.x.slice(), y = b.y.slice();
  const lam = 1 - (box.w * box.h) / (w * h);
  for (let i = 0; i < b.n; i++) {
    const j = perm[i];
    for (let yy = box.y; yy < box.y + box.h; yy++) {
      const from = j * per + (yy * w + box.x) * c;
      b.x.set(x.subarray(from, from + box.w * c), i * per + (yy * w + box.x) * c);
    }
    for (let k = 0; k < b.numClasses; k++) b.y[i * b.numClasses + k] = lam * y[i * b.numClasses + k] + (1 - lam) * y[j * b.numClasses + k];
  }
  return lam;
}

/** CutMix patch for a given lambda: area share 1 - lam, centred at a random point, clipped to the image. */
export function cutmixBox(h: number, w: number, lam: number, cx: number, cy: number): Box {
  const r = Math.sqrt(1 - lam);
  const bw = Math.round(w * r), bh = Math.round(h * r);
  const x0 = Math.max(0, Math.min(w, Math.round(cx - bw / 2))), x1 = Math.max(0, Math.min(w, Math.round(cx + bw / 2)));
  const y0 = Math.max(0, Math.min(h, Math.round(cy - bh / 2))), y1 = Math.max(0, Math.min(h, Math.round(cy + bh / 2)));
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}
