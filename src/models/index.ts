// Public API of src/models. Importing it registers every built-in backbone.
import './small-cnn';
import './resnet';
import './mobilenetv2';
import './efficientnet';
import './convnext';
import './coatnet';
import './inception';
import './vit';
export { registerBackbone, createBackbone, listBackbones, backboneInfo, resolveBackboneName, countParams } from './registry';
export type { BackboneOptions, BackboneInfo, BackboneFactory, ResolvedBackboneOptions } from './registry';
export { LayerBuilder, poolFeatures } from './builder';
export * as layers from './layers/index';
export { modelSchema } from './schema';
export type { ModelConfig } from './schema';
