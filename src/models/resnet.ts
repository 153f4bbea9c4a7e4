// ResNet (He et al. 2016) as torchvision builds it: 7x7/2 stem + 3x3/2
// max-pool, four stages (64-128-256-512 at width 1), basic blocks (18, 34) or
// bottlenecks with 4x expansion (50); projection shortcut on stride/width change.
// At width 1 it computes what torchvision.models.resnet18/34/50 compute with the
// same weights (test/models/resnet-torch.test.ts): strided convs and the max-pool
// pad symmetrically as PyTorch does, batch norm eps 1e-5 / momentum 0.1, convs
// start He-normal (fan-out), every norm at gamma 1 (torchvision's default
// zero_init_residual=False; timm's zero_init_last differs), and the classifier
// as nn.Linear's default.
import * as tf from '@tensorflow/tfjs';
import { registerBackbone, type ResolvedBackboneOptions } from './registry';
import { LayerBuilder, poolFeatures, type T } from './builder';

function basicBlock(b: LayerBuilder, x: T, name: string, filters: number, stride: number): T {
  const inC = x.shape[3]!;
  let y = b.convBnAct(x, `${name}_1`, { filters, kernel: 3, stride });
  y = b.conv(y, `${name}_2_conv`, { filters, kernel: 3 });
  y = b.bn(y, `${name}_2_bn`);
  const shortcut = stride !== 1 || inC !== filters
    ? b.bn(b.conv(x, `${name}_down_conv`, { filters, kernel: 1, stride }), `${name}_down_bn`) : x;
  return b.act(b.add([y, shortcut], `${name}_add`), `${name}_out`, 'relu');
}

function bottleneck(b: LayerBuilder, x: T, name: string, filters: number, stride: number): T {
  const out = filters * 4;
  const inC = x.shape[3]!;
  let y = b.convBnAct(x, `${name}_1`, { filters, kernel: 1 });
  y = b.convBnAct(y, `${name}_2`, { filters, kernel: 3, stride });  // stride on the 3x3, as torchvision (ResNet v1.5)
  y = b.conv(y, `${name}_3_conv`, { filters: out, kernel: 1 });
  y = b.bn(y, `${name}_3_bn`);
  const shortcut = stride !== 1 || inC !== out
    ? b.bn(b.conv(x, `${name}_down_conv`, { filters: out, kernel: 1, stride }), `${name}_down_bn`) : x;
  return b.act(b.add([y, shortcut], `${name}_add`), `${name}_out`, 'relu');
}

function resnet(depths: number[], block: 'basic' | 'bottleneck', name: string) {
  return (o: ResolvedBackboneOptions): tf.LayersModel => {
    const b = new LayerBuilder(o);
    const input = b.input();
    let x = b.convBnAct(input, 'stem', { filters: b.ch(64), kernel: 7, stride: 2 });
    x = b.maxPoolAfterRelu(x, 'stem_pool', 3, 2);
    depths.forEach((n, s) => {
      const filters = b.ch(64 * 2 ** s);
      for (let i = 0; i < n; i++) {
        const stride = i === 0 && s > 0 ? 2 : 1;
        const blockName = `stage${s + 1}_block${i + 1}`;
        x = block === 'basic' ? basicBlock(b, x, blockName, filters, stride) : bottleneck(b, x, blockName, filters, stride);
      }
    });
    return tf.model({ inputs: input, outputs: b.classifier(poolFeatures(x), { init: 'torch' }), name });
  };
}

registerBackbone('resnet18', resnet([2, 2, 2, 2], 'basic', 'resnet18'), {
  description: 'ResNet-18: basic blocks [2,2,2,2], widths 64-512 x width', defaultWidth: 0.25,
});
registerBackbone('resnet34', resnet([3, 4, 6, 3], 'basic', 'resnet34'), {
  description: 'ResNet-34: basic blocks [3,4,6,3], widths 64-512 x width', defaultWidth: 0.25,
});
registerBackbone('resnet50', resnet([3, 4, 6, 3], 'bottleneck', 'resnet50'), {
  description: 'ResNet-50: bottleneck blocks [3,4,6,3] (4x expansion, stride on the 3x3), widths 256-2048 x width', defaultWidth: 0.125,
});
