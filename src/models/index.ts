// Public API of src/models. Importing it registers every built-in backbone.
import './small-cnn';
export { registerBackbone, createBackbone, listBackbones } from './registry';
export type { BackboneOptions, BackboneInfo, BackboneFactory, ResolvedBackboneOptions } from './registry';
export { modelSchema } from './schema';
export type { ModelConfig } from './schema';
