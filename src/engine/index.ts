export { initEngine, engineInfo, parseBackendName, BackendUnavailableError, BACKENDS } from './backend';
export type { BackendName, EngineInfo, InitEngineOptions } from './backend';
export { registerWasmGradientKernels } from './wasm-kernels';
export { Random, seedFrom } from './random';
export { findProjectRoot } from './project';
