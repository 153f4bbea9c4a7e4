// Geometric augmentations of one image (h x w x c floats, row-major,
// interleaved). Each returns a new array; the input is left alone.

export interface Img {
  data: Float32Array;
  h: number;
  w: number;
  c: number;
}

export function hflip({ data, h, w, c }: Img): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * c, d = (y * w + (w - 1 - x)) * c;
      for (let k = 0; k < c; k++) out[d + k] = data[s + k];
    }
  }
  return out;
}

export function vflip({ data, h, w, c }: Img): Float32Array {
  const out = new Float32Array(data.length);
  const row = w * c;
  for (let y = 0; y < h; y++) out.set(data.subarray(y * row, (y + 1) * row), (h - 1 - y) * row);
  return out;
}

/** Rotate by k x 90 degrees counter-clockwise (square images: the shape is kept). */
export function rot90({ data, h, w, c }: Img, k: number): Float32Array {
  const turns = ((k % 4) + 4) % 4;
  if (turns === 0) return data.slice();
  if (h !== w) throw new Error(`rot90 needs a square image, got ${w}x${h}`);
  const n = h;
  const out = new Float32Array(data.length);
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      // Source pixel that lands on (x, y) after `turns` counter-clockwise quarter turns.
      let sx: number, sy: number;
      if (turns === 1) { sx = n - 1 - y; sy = x; }
      else if (turns === 2) { sx = n - 1 - x; sy = n - 1 - y; }
      else { sx = y; sy = n - 1 - x; }
      const s = (sy * n + sx) * c, d = (y * n + x) * c;
      for (let q = 0; q < c; q++) out[d + q] = data[s + q];
    }
  }
  return out;
}

/** Bilinear sample at (fx, fy) in pixel-centre coordinates; `fill` outside the image. */
function sample(img: Img, fx: number, fy: number, k: number, fill: number): number {
  const { data, h, w, c } = img;
  const x0 = Math.floor(fx), y0 = Math.floor(fy);
  const ax = fx - x0, ay = fy - y0;
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= w || y >= h ? fill : data[(y * w + x) * c + k]);
  return (1 - ay) * ((1 - ax) * at(x0, y0) + ax * at(x0 + 1, y0)) + ay * ((1 - ax) * at(x0, y0 + 1) + ax * at(x0 + 1, y0 + 1));
}

/** Rotate by `degrees` counter-clockwise about the centre, bilinear; corners filled with `fill`. */
export function rotate(img: Img, degrees: number, fill = 0): Float32Array {
  const { h, w, c } = img;
  const out = new Float32Array(img.data.length);
  const t = (degrees * Math.PI) / 180;
  const cos = Math.cos(t), sin = Math.sin(t);
  const cx = (w - 1) / 2, cy = (h - 1) / 2;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      // Inverse map: where in the source this output pixel comes from (y grows downwards).
      const dx = x - cx, dy = y - cy;
      const sx = cx + cos * dx - sin * dy;
      const sy = cy + sin * dx + cos * dy;
      for (let k = 0; k < c; k++) out[(y * w + x) * c + k] = sample(img, sx, sy, k, fill);
    }
  }
  return out;
}

export interface Box { x: number; y: number; w: number; h: number }

/** Crop `box` and resize it back to the image size (bilinear): a random resized crop once the box is drawn. */
export function resizedCrop(img: Img, box: Box): Float32Array {
  const { h, w, c } = img;
  const out = new Float32Array(img.data.length);
  const sx = box.w / w, sy = box.h / h;
  for (let y = 0; y < h; y++) {
    const fy = Math.min(box.y + box.h - 1, Math.max(box.y, box.y + (y + 0.5) * sy - 0.5));
    for (let x = 0; x < w; x++) {
      const fx = Math.min(box.x + box.w - 1, Math.max(box.x, box.x + (x + 0.5) * sx - 0.5));
      for (let k = 0; k < c; k++) out[(y * w + x) * c + k] = sample(img, fx, fy, k, 0);
    }
  }
  return out;
}

export type PadMode = 'reflect' | 'zero';

/** Index `i` folded back into 0..n-1 by mirroring at the edge pixels (numpy/PyTorch 'reflect': -1 -> 1, n -> n-2). */
function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const m = ((i % period) + period) % period;
  return m < n ? m : period - m;
}

/**
 * Shift the image by (dx, dy) pixels (right, down), filling what enters at
 * the border by reflection or with zeros. Equals padding by k >= |dx|, |dy|
 * and cropping the original size at offset (k - dx, k - dy): torchvision's
 * RandomCrop(size, padding=k, padding_mode='reflect') once the offset is drawn.
 */
export function translate({ data, h, w, c }: Img, dx: number, dy: number, mode: PadMode = 'reflect'): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < h; y++) {
    let sy = y - dy;
    if (sy < 0 || sy >= h) {
      if (mode === 'zero') continue;
      sy = reflectIndex(sy, h);
    }
    for (let x = 0; x < w; x++) {
      let sx = x - dx;
      if (sx < 0 || sx >= w) {
        if (mode === 'zero') continue;
        sx = reflectIndex(sx, w);
      }
      const s = (sy * w + sx) * c, d = (y * w + x) * c;
      for (let k = 0; k < c; k++) out[d + k] = data[s + k];
    }
  }
  return out;
}
