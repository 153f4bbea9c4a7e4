// Public API of src/data.
export * from './types';
export * from './schema';
export { BadInputCollector, DataError } from './bad-input';
export type { BadInput } from './bad-input';
export { parseCsv, readCsv } from './csv';
export { loadIcpr2012, expandPattern } from './icpr2012';
export { prepareImage, applyMask } from './image';
export { InMemoryBatchSource } from './batches';
export type { Batch, BatchSource } from './batches';
export { splitDataset, stratifiedHoldout } from './split';
export { loadDataset, prepareBatches } from './load';
export type { LoadedDataset } from './load';
