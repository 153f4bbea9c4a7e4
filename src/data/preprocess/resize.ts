// Resize to a square: `pad` keeps the aspect (fit inside, centred, zero
// border), `stretch` fills the square. Separable convolution with the kernel
// widened when shrinking (antialiasing), computed as PIL does: the default
// bilinear (triangle) filter gives what torchvision's Resize and PIL's
// Image.resize(BILINEAR) give researchers in Python; lanczos3 matches
// PIL's LANCZOS and sharp's default.

export type ResizeMode = 'pad' | 'stretch';
export type ResizeFilter = 'bilinear' | 'lanczos3';

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

function lanczos3(x: number): number {
  return x > -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0;
}

function triangle(x: number): number {
  const a = Math.abs(x);
  return a < 1 ? 1 - a : 0;
}

const FILTERS: Record<ResizeFilter, { fn: (x: number) => number; support: number }> = {
  bilinear: { fn: triangle, support: 1 },
  lanczos3: { fn: lanczos3, support: 3 },
};

interface Taps {
  /** First input index of each output sample. */
  start: Int32Array;
  count: Int32Array;
  /** count[i] normalised weights per output sample, at i * maxTaps. */
  weights: Float32Array;
  maxTaps: number;
}

const tapCache = new Map<string, Taps>();

/** Filter taps mapping `inSize` samples onto `outSize` (as PIL's precompute_coeffs). */
function taps(inSize: number, outSize: number, filter: ResizeFilter): Taps {
  const key = `${filter}:${inSize}:${outSize}`;
  const hit = tapCache.get(key);
  if (hit) return hit;
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const { fn, support: base } = FILTERS[filter];
  const support = base * filterScale;
  const maxTaps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * maxTaps);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    let sum = 0;
    for (let i = lo; i < hi; i++) {
      const w = fn((i - center + 0.5) / filterScale);
      weights[o * maxTaps + (i - lo)] = w;
      sum += w;
    }
    if (sum !== 0) for (let i = 0; i < hi - lo; i++) weights[o * maxTaps + i] /= sum;
    start[o] = lo;
    count[o] = hi - lo;
  }
  const t = { start, count, weights, maxTaps };
  if (tapCache.size > 4096) tapCache.clear();
  tapCache.set(key, t);
  return t;
}

/** Scratch buffers reused across calls (resizing is synchronous, so calls never overlap). */
let scratchTmp = new Float32Array(0);
let scratchAcc = new Float32Array(0);

function scratch(current: Float32Array, n: number): Float32Array {
  return current.length >= n ? current : new Float32Array(Math.max(n, current.length * 2));
}

/** The intermediate is rounded and clamped to the sample range, as PIL stores it (Lanczos overshoots). */
function clampRound(v: number, max: number): number {
  const r = Math.round(v);
  return r < 0 ? 0 : r > max ? max : r;
}

function horizontal(src: Uint8Array | Uint16Array, width: number, height: number, C: number, w: number, t: Taps, max: number): Float32Array {
  const tmp = (scratchTmp = scratch(scratchTmp, height * w * C));
  const tw = t.weights, ts = t.start, tc = t.count, maxTaps = t.maxTaps;
  if (C === 1) {
    // The common case (grey or one channel): no channel loop.
    for (let y = 0; y < height; y++) {
      const row = y * width, outRow = y * w;
      for (let x = 0; x < w; x++) {
        const s0 = row + ts[x], n = tc[x], wo = x * maxTaps;
        let acc = 0;
        for (let k = 0; k < n; k++) acc += tw[wo + k] * src[s0 + k];
        tmp[outRow + x] = clampRound(acc, max);
      }
    }
    return tmp;
  }
  for (let y = 0; y < height; y++) {
    const row = y * width * C;
    const outRow = y * w * C;
    for (let x = 0; x < w; x++) {
      const s0 = row + ts[x] * C, n = tc[x], wo = x * maxTaps;
      for (let c = 0; c < C; c++) {
        let acc = 0;
        for (let k = 0, p = s0 + c; k < n; k++, p += C) acc += tw[wo + k] * src[p];
        tmp[outRow + x * C + c] = clampRound(acc, max);
      }
    }
  }
  return tmp;
}

/** Vertical pass: rows of `tmp` (rowLen floats each) into `out` rows of `outStride`, from `offset`. */
function vertical(tmp: Float32Array, rowLen: number, t: Taps, h: number, out: Uint8Array | Uint16Array,
  outStride: number, offset: number, maxValue: number): void {
  const acc = (scratchAcc = scratch(scratchAcc, rowLen));
  const tw = t.weights;
  for (let y = 0; y < h; y++) {
    const s0 = t.start[y], n = t.count[y], wo = y * t.maxTaps;
    acc.fill(0, 0, rowLen);
    for (let k = 0; k < n; k++) {
      const wk = tw[wo + k];
      const base = (s0 + k) * rowLen;
      for (let x = 0; x < rowLen; x++) acc[x] += wk * tmp[base + x];
    }
    const dst = offset + y * outStride;
    for (let x = 0; x < rowLen; x++) {
      const r = Math.round(acc[x]);
      out[dst + x] = r < 0 ? 0 : r > maxValue ? maxValue : r;
    }
  }
}

/** Size of the image inside the square for `pad` (longest side = size). */
export function fittedSize(width: number, height: number, size: number, mode: ResizeMode): { w: number; h: number } {
  if (mode === 'stretch') return { w: size, h: size };
  const s = size / Math.max(width, height);
  return { w: Math.max(1, Math.round(width * s)), h: Math.max(1, Math.round(height * s)) };
}

/**
 * Resize interleaved `src` (width x height x channels) into a size x size
 * square of the same sample type, rounded and clamped to 0..maxValue.
 */
export function resizeSquare(src: Uint8Array | Uint16Array, width: number, height: number, channels: number,
  size: number, mode: ResizeMode, maxValue: number, filter: ResizeFilter = 'bilinear'): Uint8Array | Uint16Array {
  const { w, h } = fittedSize(width, height, size, mode);
  const out = maxValue > 255 ? new Uint16Array(size * size * channels) : new Uint8Array(size * size * channels);
  const ox = (size - w) >> 1, oy = (size - h) >> 1;
  const C = channels;
  if (w === width && h === height) {
    for (let y = 0; y < h; y++) out.set(src.subarray(y * width * C, (y + 1) * width * C), ((y + oy) * size + ox) * C);
    return out;
  }
  // Horizontal pass (height x w), then vertical into the square; floats in between.
  const th = taps(width, w, filter);
  const tmp = horizontal(src, width, height, C, w, th, maxValue);
  const tv = taps(height, h, filter);
  vertical(tmp, w * C, tv, h, out, size * C, (oy * size + ox) * C, maxValue);
  return out;
}
