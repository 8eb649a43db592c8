// The optimizer kernels: pure functions over byte pointers and float counts, in place,
// no allocation. Each family has a _simd kernel and its _scalar twin (the reference).
export * from './norm';
export * from './perturb';
export * from './ema';
export * from './finite';
export * from './sgd';
export * from './adamw';
export * from './accumulate';
export * from './triad';
export { f32_to_bf16_simd, f32_to_bf16_scalar } from './bf16';
