// The inverted residual ("MBConv") block of MobileNetV2, EfficientNet and
// CoAtNet's conv stages: 1x1 expand -> kxk depthwise -> (squeeze-excite) ->
// 1x1 linear projection, with a residual when the shape is kept.
import * as tf from '@tensorflow/tfjs';
import { LayerBuilder, type Act, type T } from './builder';

export interface InvertedResidualArgs {
  out: number;
  expand: number;
  kernel: number;
  stride: number;
  act: Act;
  /** Squeeze-excite width as a fraction of the block's input channels (0: none). */
  se?: number;
  /**
   * CoAtNet's pre-activation form: batch norm on the input, no norm after the
   * projection, and a pooled 1x1-conv shortcut when the shape changes.
   */
  preNorm?: boolean;
}

export function invertedResidual(b: LayerBuilder, x: T, name: string, a: InvertedResidualArgs): T {
  const inC = x.shape[3]!;
  const mid = Math.max(1, Math.round(inC * a.expand));
  let y = a.preNorm ? b.bn(x, `${name}_prenorm`) : x;
  if (a.expand !== 1) y = b.convBnAct(y, `${name}_expand`, { filters: mid, kernel: 1, act: a.act });
  y = b.depthwise(y, `${name}_dw_conv`, { kernel: a.kernel, stride: a.stride });
  y = b.act(b.bn(y, `${name}_dw_bn`), `${name}_dw_act`, a.act);
  if (a.se) y = b.squeezeExcite(y, `${name}_se`, Math.round(inC * a.se), a.act);
  y = b.conv(y, `${name}_project_conv`, { filters: a.out, kernel: 1, bias: !!a.preNorm });
  const residual = a.stride === 1 && inC === a.out;
  if (!a.preNorm) y = b.bn(y, `${name}_project_bn`, { zeroGamma: residual });
  if (residual) return b.add([y, x], `${name}_add`);
  if (!a.preNorm) return y;
  let s = x;
  if (a.stride > 1) s = tf.layers.maxPooling2d({ name: `${name}_short_pool`, poolSize: a.stride, strides: a.stride, padding: 'same' }).apply(s) as T;
  if (inC !== a.out) s = b.conv(s, `${name}_short_conv`, { filters: a.out, kernel: 1, bias: true });
  return b.add([y, s], `${name}_add`);
}
