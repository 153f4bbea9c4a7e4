export { initEngine, engineInfo, parseBackendName, BackendUnavailableError, BACKENDS } from './backend';
export type { BackendName, EngineInfo, InitEngineOptions } from './backend';
export { registerWasmGradientKernels } from './wasm-kernels';
export { batchNormTrain, channelMoments } from './batch-norm-train';
export type { BatchNormTrainResult } from './batch-norm-train';
export { Random, seedFrom } from './random';
export { findProjectRoot } from './project';
export { biasRelu } from './bias-relu';
