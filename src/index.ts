// The public API that notebooks import: `import * as cl from '../dist/index'`.
export * as engine from './engine/index';
export const version = '0.1.0';
