// The public API that notebooks import: `import * as cl from '../dist/index'`
// (compiled CommonJS: tslab cells load it without compiling our sources).
export * as engine from './engine/index';
export * as data from './data/index';
export * as models from './models/index';
export * as train from './train/index';
export * as evaluation from './eval/index';
export * as plots from './plots/index';
export * as tracking from './tracking/index';
export * as experiment from './experiment/index';
export const version = '0.1.0';
