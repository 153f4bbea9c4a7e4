// Input gradients of strided convolutions (Conv2DBackpropInput,
// DepthwiseConv2dNativeBackpropInput) as ordinary stride-1 convolutions.
//
// dx[h] = sum over taps i and output rows y with y*s + i*d - pad = h of dy[y] * W[i].
// Split the rows of dx by phase r = h mod s: row r + s*m only meets the taps i
// with (r + pad - i*d) divisible by s, each at dy row m + (r + pad - i*d)/s.
// So every phase is a stride-1 correlation of dy with a sub-filter of those
// taps (flipped), and the s*s phases are interleaved. Unlike the textbook
// "insert s-1 zeros between dy rows" (which multiplies by zeros s*s times
// over), this does exactly the work the gradient needs, on XNNPACK.
import * as tf from '@tensorflow/tfjs';
import { cropForPadding } from './kernel-util';

/** One phase of one spatial axis. */
export interface AxisPhase {
  /** Filter taps, ordered by increasing dy offset. */
  taps: number[];
  /** dy offset of the first tap, and step between taps (the sub-filter's dilation). */
  first: number;
  step: number;
  /** dx rows in this phase: r, r + s, ... */
  count: number;
}

const mod = (a: number, n: number) => ((a % n) + n) % n;

export function axisPhases(inSize: number, k: number, s: number, d: number, padBefore: number): AxisPhase[] {
  const out: AxisPhase[] = [];
  for (let r = 0; r < s; r++) {
    const taps: number[] = [];
    for (let i = k - 1; i >= 0; i--) if (mod(r + padBefore - i * d, s) === 0) taps.push(i);
    const offset = (i: number) => (r + padBefore - i * d) / s;
    out.push({
      taps,
      first: taps.length ? offset(taps[0]) : 0,
      step: taps.length > 1 ? offset(taps[1]) - offset(taps[0]) : 1,
      count: r < inSize ? Math.ceil((inSize - r) / s) : 0,
    });
  }
  return out;
}

export interface TransposedConvSpec {
  /** dx shape [N, H, W, C]. */
  inShape: [number, number, number, number];
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  padTop: number;
  padLeft: number;
  /**
   * One phase: a stride-1 'valid' correlation of `dy` (explicitly padded by
   * `pad`) with the sub-filter of `rows` x `cols` taps at dilation `dil`.
   * Must return [N, rowsOut, colsOut, C].
   */
  phase(dy: tf.Tensor4D, pad: [[number, number], [number, number], [number, number], [number, number]],
    rows: number[], cols: number[], dil: [number, number]): tf.Tensor4D;
}

/** One phase's dx rows and columns; null when no tap reaches them (their gradient is 0). */
function onePhase(dy: tf.Tensor4D, spec: TransposedConvSpec, ph: AxisPhase, pw: AxisPhase): tf.Tensor4D | null {
  const [, ho, wo] = dy.shape;
  if (ph.count === 0 || pw.count === 0) return null;
  const endH = ph.count - 1 + ph.first + (ph.taps.length - 1) * ph.step;
  const endW = pw.count - 1 + pw.first + (pw.taps.length - 1) * pw.step;
  // No taps, or every tap falls outside dy: this phase gets no gradient.
  if (!ph.taps.length || !pw.taps.length || endH < 0 || ph.first > ho - 1 || endW < 0 || pw.first > wo - 1) return null;
  const win = cropForPadding(dy, -ph.first, endH - (ho - 1), -pw.first, endW - (wo - 1));
  return spec.phase(win.x, win.pad, ph.taps, pw.taps, [ph.step, pw.step]);
}

/**
 * dx[n, r + s*i, c + s*j, :] = phases[r][c][n, i, j, :], in JavaScript: the
 * tf way (stack + reshape, twice) runs Pack, a slow copy on wasm (5 ms per
 * stride-2 layer of a small ResNet, as much as its convolutions).
 */
function interleave(phases: (tf.Tensor4D | null)[][], shape: [number, number, number, number]): tf.Tensor4D {
  const [n, h, w, c] = shape;
  const sh = phases.length, sw = phases[0].length;
  const out = new Float32Array(n * h * w * c);
  for (let r = 0; r < sh; r++) {
    for (let q = 0; q < sw; q++) {
      const p = phases[r][q];
      if (!p) continue;
      const [, mh, mw] = p.shape;
      const src = p.dataSync() as Float32Array;
      let k = 0;
      for (let b = 0; b < n; b++) {
        for (let i = 0; i < mh; i++) {
          let o = ((b * h + r + sh * i) * w + q) * c;
          for (let j = 0; j < mw; j++, o += sw * c) {
            for (let ch = 0; ch < c; ch++) out[o + ch] = src[k++];
          }
        }
      }
    }
  }
  return tf.tensor4d(out, shape);
}

/** dx of a strided convolution from its output gradient `dy`, phase by phase. */
export function transposedConv(dy: tf.Tensor4D, spec: TransposedConvSpec): tf.Tensor4D {
  const [sh, sw] = spec.strides;
  const rows = axisPhases(spec.inShape[1], spec.kernel[0], sh, spec.dilations[0], spec.padTop);
  const cols = axisPhases(spec.inShape[2], spec.kernel[1], sw, spec.dilations[1], spec.padLeft);
  if (sh === 1 && sw === 1) return onePhase(dy, spec, rows[0], cols[0]) ?? tf.zeros(spec.inShape);
  return interleave(rows.map((ph) => cols.map((pw) => onePhase(dy, spec, ph, pw))), spec.inShape);
}
