// ResNet (He et al. 2016) exactly as torchvision builds it: 7x7/2 stem
// (padding 3) + 3x3/2 max-pool (padding 1), four stages (64-128-256-512 at
// width 1), basic blocks (18, 34) or bottlenecks with 4x expansion and the
// stride on the 3x3 (50, "v1.5"); projection shortcut on stride/width change;
// BN eps 1e-5. Layers record torchvision's module paths (`layer1.0.conv1`),
// so torchvision's (and timm's, same names) weights load. Initialised as
// torchvision: convs He-normal (fan-out), every norm at gamma 1
// (zero_init_residual=False; timm's zero_init_last differs), the classifier
// as nn.Linear's default.
import * as tf from '@tensorflow/tfjs';
import { registerBackbone, type ResolvedBackboneOptions } from './registry';
import { LayerBuilder, poolFeatures, type T } from './builder';

function shortcut(b: LayerBuilder, x: T, name: string, out: number, stride: number, src: string): T {
  if (stride === 1 && x.shape[3] === out) return x;
  return b.bn(b.conv(x, `${name}_down_conv`, { filters: out, kernel: 1, stride, src: `${src}.downsample.0` }), `${name}_down_bn`, { src: `${src}.downsample.1` });
}

function basicBlock(b: LayerBuilder, x: T, name: string, filters: number, stride: number, src: string): T {
  let y = b.convBnAct(x, `${name}_1`, { filters, kernel: 3, stride, src: [`${src}.conv1`, `${src}.bn1`] });
  y = b.conv(y, `${name}_2_conv`, { filters, kernel: 3, src: `${src}.conv2` });
  y = b.bn(y, `${name}_2_bn`, { src: `${src}.bn2` });
  return b.act(b.add([y, shortcut(b, x, name, filters, stride, src)], `${name}_add`), `${name}_out`, 'relu');
}

function bottleneck(b: LayerBuilder, x: T, name: string, filters: number, stride: number, src: string): T {
  const out = filters * 4;
  let y = b.convBnAct(x, `${name}_1`, { filters, kernel: 1, src: [`${src}.conv1`, `${src}.bn1`] });
  y = b.convBnAct(y, `${name}_2`, { filters, kernel: 3, stride, src: [`${src}.conv2`, `${src}.bn2`] });
  y = b.conv(y, `${name}_3_conv`, { filters: out, kernel: 1, src: `${src}.conv3` });
  y = b.bn(y, `${name}_3_bn`, { src: `${src}.bn3` });
  return b.act(b.add([y, shortcut(b, x, name, out, stride, src)], `${name}_add`), `${name}_out`, 'relu');
}

function resnet(depths: number[], block: 'basic' | 'bottleneck', name: string) {
  return (o: ResolvedBackboneOptions): tf.LayersModel => {
    const b = new LayerBuilder(o);
    const input = b.input();
    let x = b.convBnAct(input, 'stem', { filters: b.ch(64), kernel: 7, stride: 2, src: ['conv1', 'bn1'] });
    x = b.maxPool(x, 'stem_pool', { kernel: 3, stride: 2, padding: 1 });
    depths.forEach((n, s) => {
      const filters = b.ch(64 * 2 ** s);
      for (let i = 0; i < n; i++) {
        const stride = i === 0 && s > 0 ? 2 : 1;
        const blockName = `stage${s + 1}_block${i + 1}`;
        const src = `layer${s + 1}.${i}`;
        x = block === 'basic' ? basicBlock(b, x, blockName, filters, stride, src) : bottleneck(b, x, blockName, filters, stride, src);
      }
    });
    return b.model(b.classifier(poolFeatures(x), { init: 'torch', src: 'fc' }), name);
  };
}

registerBackbone('resnet18', resnet([2, 2, 2, 2], 'basic', 'resnet18'), {
  description: 'ResNet-18 (torchvision): basic blocks [2,2,2,2], widths 64-512 x width', defaultWidth: 1,
});
registerBackbone('resnet34', resnet([3, 4, 6, 3], 'basic', 'resnet34'), {
  description: 'ResNet-34 (torchvision): basic blocks [3,4,6,3], widths 64-512 x width', defaultWidth: 1,
});
registerBackbone('resnet50', resnet([3, 4, 6, 3], 'bottleneck', 'resnet50'), {
  description: 'ResNet-50 (torchvision v1.5): bottleneck blocks [3,4,6,3] (4x expansion, stride on the 3x3), widths 256-2048 x width', defaultWidth: 1,
});
