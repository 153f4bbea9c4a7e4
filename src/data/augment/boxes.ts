// Drawing random boxes (crops, erased rectangles, CutMix patches) and Beta
// variates (mixup/CutMix mixing weights), seeded.
import type { Random } from '../../engine/random';
import type { Box } from './geometry';

/**
 * A box covering a share `scale` of the area with aspect ratio (w/h) in
 * `ratio` (log-uniform), placed uniformly; as torchvision's RandomResizedCrop /
 * RandomErasing. After 10 failed draws: the largest centred box within `ratio`.
 */
export function sampleBox(h: number, w: number, scale: [number, number], ratio: [number, number], rng: Random): Box {
  const area = h * w;
  const logR: [number, number] = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logR[0], logR[1]));
    const bw = Math.round(Math.sqrt(target * aspect));
    const bh = Math.round(Math.sqrt(target / aspect));
    if (bw > 0 && bh > 0 && bw <= w && bh <= h) {
      return { x: rng.int(w - bw + 1), y: rng.int(h - bh + 1), w: bw, h: bh };
    }
  }
  const r = w / h;
  let bw = w, bh = h;
  if (r < ratio[0]) bh = Math.round(w / ratio[0]);
  else if (r > ratio[1]) bw = Math.round(h * ratio[1]);
  return { x: (w - bw) >> 1, y: (h - bh) >> 1, w: bw, h: bh };
}

/** Gamma(shape, 1) by Marsaglia-Tsang. */
function gamma(shape: number, rng: Random): number {
  if (shape < 1) return gamma(shape + 1, rng) * Math.pow(rng.next() || Number.MIN_VALUE, 1 / shape);
  const d = shape - 1 / 3, c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number, v: number;
    do { x = rng.normal(); v = 1 + c * x; } while (v <= 0);
    v = v * v * v;
    const u = rng.next();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Beta(alpha, alpha); alpha <= 0 gives 1 (no mixing). */
export function sampleBeta(alpha: number, rng: Random): number {
  if (!(alpha > 0)) return 1;
  const a = gamma(alpha, rng), b = gamma(alpha, rng);
  return a + b > 0 ? a / (a + b) : 0.5;
}
