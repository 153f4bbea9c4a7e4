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

/** Zero rows/cols appended so that the phases can be stacked. */
function padTo(x: tf.Tensor4D, h: number, w: number): tf.Tensor4D {
  const [, xh, xw] = x.shape;
  return xh === h && xw === w ? x : tf.pad(x, [[0, 0], [0, h - xh], [0, w - xw], [0, 0]]);
}

function onePhase(dy: tf.Tensor4D, spec: TransposedConvSpec, ph: AxisPhase, pw: AxisPhase): tf.Tensor4D {
  const [n, , , c] = spec.inShape;
  const [, ho, wo] = dy.shape;
  if (ph.count === 0 || pw.count === 0) return tf.zeros([n, ph.count, pw.count, c]);
  const endH = ph.count - 1 + ph.first + (ph.taps.length - 1) * ph.step;
  const endW = pw.count - 1 + pw.first + (pw.taps.length - 1) * pw.step;
  // No taps, or every tap falls outside dy: this phase gets no gradient.
  if (!ph.taps.length || !pw.taps.length || endH < 0 || ph.first > ho - 1 || endW < 0 || pw.first > wo - 1) {
    return tf.zeros([n, ph.count, pw.count, c]);
  }
  const win = cropForPadding(dy, -ph.first, endH - (ho - 1), -pw.first, endW - (wo - 1));
  return spec.phase(win.x, win.pad, ph.taps, pw.taps, [ph.step, pw.step]);
}

/** dx of a strided convolution from its output gradient `dy`, phase by phase. */
export function transposedConv(dy: tf.Tensor4D, spec: TransposedConvSpec): tf.Tensor4D {
  const [n, h, w, c] = spec.inShape;
  const [sh, sw] = spec.strides;
  const rows = axisPhases(h, spec.kernel[0], sh, spec.dilations[0], spec.padTop);
  const cols = axisPhases(w, spec.kernel[1], sw, spec.dilations[1], spec.padLeft);
  if (sh === 1 && sw === 1) return onePhase(dy, spec, rows[0], cols[0]);
  const mh = rows[0].count, mw = cols[0].count;
  // Interleave columns within each row phase, then the row phases.
  const rowPhases = rows.map((ph) => {
    const parts = cols.map((pw) => padTo(onePhase(dy, spec, ph, pw), ph.count, mw));
    const inter = sw === 1 ? parts[0] : tf.reshape(tf.stack(parts, 3), [n, ph.count, mw * sw, c]) as tf.Tensor4D;
    return padTo(mw * sw === w ? inter : tf.slice(inter, [0, 0, 0, 0], [-1, -1, w, -1]), mh, w);
  });
  const all = sh === 1 ? rowPhases[0] : tf.reshape(tf.stack(rowPhases, 2), [n, mh * sh, w, c]) as tf.Tensor4D;
  return mh * sh === h ? all : tf.slice(all, [0, 0, 0, 0], [-1, h, -1, -1]);
}
