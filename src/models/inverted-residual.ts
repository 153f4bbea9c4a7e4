// The inverted residual ("MBConv") block of MobileNetV2, EfficientNet and
// CoAtNet's conv stages: 1x1 expand -> kxk depthwise -> (squeeze-excite) ->
// 1x1 linear projection, with a residual when the shape is kept. `src` is the
// torchvision block's module path; torchvision numbers the parts in order
// (`conv.0` expand, `conv.1` depthwise, `conv.2`/`conv.3` projection conv and
// norm in MobileNetV2; `block.0` .. `block.3` with `.0`/`.1` conv and norm in
// EfficientNet).
import * as tf from '@tensorflow/tfjs';
import { LayerBuilder, type Act, type T } from './builder';

export interface InvertedResidualArgs {
  out: number;
  expand: number;
  kernel: number;
  stride: number;
  act: Act;
  /** Squeeze-excite width as a fraction of the block's input channels (0: none), floored as torchvision. */
  se?: number;
  /**
   * CoAtNet's pre-activation form: batch norm on the input, no norm after the
   * projection, and a pooled 1x1-conv shortcut when the shape changes.
   */
  preNorm?: boolean;
  /** Batch-norm eps and momentum (kept fraction). */
  eps?: number;
  momentum?: number;
  /** Module path and layout of the torchvision block. */
  src?: { path: string; layout: 'mobilenetv2' | 'efficientnet' };
}

export function invertedResidual(b: LayerBuilder, x: T, name: string, a: InvertedResidualArgs): T {
  const inC = x.shape[3]!;
  const mid = Math.max(1, Math.round(inC * a.expand));
  const norm = { eps: a.eps, momentum: a.momentum };
  // torchvision's part paths: [expand conv, expand bn, dw conv, dw bn, se, project conv, project bn]
  const p = (() => {
    if (!a.src) return undefined;
    const { path, layout } = a.src;
    const i = a.expand !== 1 ? 1 : 0;
    if (layout === 'mobilenetv2') {
      const c = `${path}.conv`;
      return [`${c}.0.0`, `${c}.0.1`, `${c}.${i}.0`, `${c}.${i}.1`, '', `${c}.${i + 1}`, `${c}.${i + 2}`];
    }
    const c = `${path}.block`;
    return [`${c}.0.0`, `${c}.0.1`, `${c}.${i}.0`, `${c}.${i}.1`, `${c}.${i + 1}`, `${c}.${i + 2}.0`, `${c}.${i + 2}.1`];
  })();
  let y = a.preNorm ? b.bn(x, `${name}_prenorm`, norm) : x;
  if (a.expand !== 1) y = b.convBnAct(y, `${name}_expand`, { filters: mid, kernel: 1, act: a.act, ...norm, src: p && [p[0], p[1]] });
  y = b.depthwise(y, `${name}_dw_conv`, { kernel: a.kernel, stride: a.stride, src: p?.[2] });
  y = b.act(b.bn(y, `${name}_dw_bn`, { ...norm, src: p?.[3] }), `${name}_dw_act`, a.act);
  if (a.se) y = b.squeezeExcite(y, `${name}_se`, Math.floor(inC * a.se), a.act, p?.[4]);
  y = b.conv(y, `${name}_project_conv`, { filters: a.out, kernel: 1, bias: !!a.preNorm, src: p?.[5] });
  const residual = a.stride === 1 && inC === a.out;
  if (!a.preNorm) y = b.bn(y, `${name}_project_bn`, { zeroGamma: residual, ...norm, src: p?.[6] });
  if (residual) return b.add([y, x], `${name}_add`);
  if (!a.preNorm) return y;
  let s = x;
  if (a.stride > 1) s = tf.layers.maxPooling2d({ name: `${name}_short_pool`, poolSize: a.stride, strides: a.stride, padding: 'same' }).apply(s) as T;
  if (inC !== a.out) s = b.conv(s, `${name}_short_conv`, { filters: a.out, kernel: 1, bias: true });
  return b.add([y, s], `${name}_add`);
}
