// Gaussian blur of one image, separable, edges reflected as torchvision's
// GaussianBlur. torchvision takes a kernel size; here the radius follows
// sigma (ceil(3 sigma), 99.7% of the weight), so one setting fits any size.
import type { Img } from './geometry';

function kernel(sigma: number): Float64Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += (k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma)));
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/** Reflect an index into 0..n-1 (torchvision's `reflect` padding: the edge pixel is not repeated). */
function reflect(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  i = ((i % period) + period) % period;
  return i < n ? i : period - i;
}

/** Blur with a Gaussian of standard deviation `sigma` pixels; sigma <= 0 returns a copy. */
export function gaussianBlur(img: Img, sigma: number): Float32Array {
  const { data, h, w, c } = img;
  if (!(sigma > 0)) return data.slice();
  const k = kernel(sigma), r = (k.length - 1) / 2;
  const tmp = new Float32Array(data.length), out = new Float32Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let q = 0; q < c; q++) {
        let s = 0;
        for (let j = -r; j <= r; j++) s += k[j + r] * data[(y * w + reflect(x + j, w)) * c + q];
        tmp[(y * w + x) * c + q] = s;
      }
    }
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let q = 0; q < c; q++) {
        let s = 0;
        for (let j = -r; j <= r; j++) s += k[j + r] * tmp[(reflect(y + j, h) * w + x) * c + q];
        out[(y * w + x) * c + q] = s;
      }
    }
  }
  return out;
}
