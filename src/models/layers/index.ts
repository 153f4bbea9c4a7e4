// Custom layers the backbones need (each registered for (de)serialisation).
export { SeededDropout } from './seeded-dropout';
export { LayerScale } from './layer-scale';
export { LayerNorm } from './layer-norm';
export { BatchNorm } from './batch-norm';
export { Gelu, geluTanh, geluExact } from './gelu';
export { PositionEmbedding } from './position-embedding';
export { SelfAttention, relativePositionIndex } from './self-attention';
export { PlainConv2D } from './plain-conv';
export { InputAdapter } from './input-adapter';
export { ClassToken, TakeClassToken } from './class-token';
